/**
 * `hezo-intake privacy export|erase --email X | --phone X [--force]`: the data-subject requests
 * from a terminal, beside a running gateway on its Redis. Which Redis is decided as the gateway
 * decides it: REDIS_URL / redis.url or Sentinels from the settings; otherwise the embedded
 * default's — the running gateway's private redis-server, found through the record and password
 * it keeps in its data folder (var/redis), or, when no gateway runs there, one started on that
 * folder for the command (and stopped after it).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultSpoolDir } from '../channels/phone/phone-spool.js';
import { RequestStore } from '../store/request-store.js';
import { IntakeError, isIntakeError } from '../errors.js';
import { AttachmentStore } from '../intake/attachment-store.js';
import { createLogger } from '../logger.js';
import { createRedisConnections } from '../redis/connections.js';
import { startEmbeddedDefault, type EmbeddedDefault } from '../redis/embedded-default.js';
import { passwordFile, readRedisRecord } from '../redis/redis-files.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { Settings } from '../settings.js';
import { loadSettings } from '../settings-loader.js';
import { parseDataSubject } from './data-subject.js';
import { DataSubjectRequests } from './data-subject-requests.js';
import { TwilioRecordings } from './twilio-recordings.js';

export interface PrivacyCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs `privacy export` or `privacy erase` with its arguments; returns the exit code. */
export async function privacyCommand(action: 'export' | 'erase', args: string[], io: PrivacyCommandIo): Promise<number> {
  const values = parseOptions(args, action === 'erase');
  let subject;
  try {
    subject = parseDataSubject({ email: values.email, phone: values.phone });
  } catch (error) {
    // On the command line a wrong --email is a usage error (exit 2), as a wrong flag is.
    if (isIntakeError(error) && error.code === 'INPUT_INVALID') throw new IntakeError('USAGE', error.message.replace(' ("email")', '').replace(' ("phone")', ''));
    throw error;
  }
  const { settings, sourceOf } = loadSettings();
  const redis = await openRedis(settings, sourceOf, io);
  try {
    const client = redis.connections.client({ purpose: `privacy-${action}`, maxRetriesPerRequest: 1 });
    const privacy = new DataSubjectRequests({
      redis: client,
      store: new RequestStore(client, settings.intake.prefix),
      prefix: settings.intake.prefix,
      attachments: new AttachmentStore(settings.attachments.dir, settings.attachments.maxBytes),
      phoneSpoolDir: defaultSpoolDir(settings),
      recordings: new TwilioRecordings(settings.twilio),
    });
    if (action === 'export') {
      io.stdout.write(`${JSON.stringify(await privacy.export(subject), null, 2)}\n`);
      return 0;
    }
    const report = await privacy.erase(subject, { force: values.force === true, actor: 'cli' });
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (report.leftover === 0) return 0;
    io.stderr.write(`hezo-intake: ${report.leftover} place(s) still name this person (something of theirs arrived during the erasure); run the same erasure again.\n`);
    return 1;
  } finally {
    redis.connections.disconnectAll();
    await redis.embedded?.stop();
  }
}

function parseOptions(args: string[], erase: boolean): { email?: string; phone?: string; force?: boolean } {
  try {
    const { values } = parseArgs({
      args,
      options: { email: { type: 'string' }, phone: { type: 'string' }, ...(erase ? { force: { type: 'boolean' } } : {}) },
      allowPositionals: false,
      strict: true,
    });
    return values as { email?: string; phone?: string; force?: boolean };
  } catch (error) {
    throw new IntakeError('USAGE', (error as Error).message.replace(/\. To specify a positional.*$/s, '.'));
  }
}

async function openRedis(settings: Readonly<Settings>, sourceOf: (path: string) => string, io: PrivacyCommandIo): Promise<{ connections: RedisConnections; embedded?: EmbeddedDefault }> {
  const configured = settings.redis.url !== '' || settings.redis.sentinels.length > 0;
  let embedded: EmbeddedDefault | undefined;
  let target: { url: string; password: string } | undefined;
  if (!configured) {
    const dir = settings.redis.embeddedDir;
    try {
      embedded = await startEmbeddedDefault(dir, createLogger('silent'));
      target = { url: embedded.server.url, password: embedded.server.password ?? '' };
      io.stderr.write(`No gateway runs on ${dir}; started its private redis-server for this command.\n`);
    } catch (error) {
      if (!isIntakeError(error) || error.code !== 'ALREADY_RUNNING') throw error;
      // The running gateway's server: its port from the record, its password from the folder.
      const record = readRedisRecord(dir);
      if (!record) throw new IntakeError('REDIS_UNAVAILABLE', `A gateway runs on ${dir}, but its redis-server has not started yet; try again in a moment.`);
      target = { url: `redis://127.0.0.1:${record.port}`, password: readFileSync(passwordFile(dir), 'utf8').trim() };
    }
  }
  const connections = createRedisConnections({ redis: settings.redis, sourceOf, ...(target ? { embedded: target } : {}) });
  const problem = await connections.checkAtStart(settings.redis.commandTimeoutMs + 500, settings.intake.prefix).catch(async (error: unknown) => {
    connections.disconnectAll();
    await embedded?.stop();
    throw error;
  });
  if (problem) {
    connections.disconnectAll();
    await embedded?.stop();
    throw new IntakeError('REDIS_UNAVAILABLE', problem);
  }
  return { connections, ...(embedded ? { embedded } : {}) };
}
