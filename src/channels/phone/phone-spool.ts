/**
 * A local, durable spool of call drafts that could not be submitted because Redis was down.
 * The caller has already been told "your request is being registered": this is the promise
 * kept. Each draft is one JSON file, retried in the background until Redis takes it, then
 * deleted. Drafts are filed through CallFiler, idempotent by source key (`call:<CallSid>`), so
 * a retry after a crash between submit and delete files nothing twice.
 *
 * Several webhooks of one call may spool it at once (the last step and the status callback, a
 * retried step), from several web processes sharing the folder. Each save writes a temp file of
 * its own and fsyncs it — a crash never leaves half a file — then links it into place: the first
 * draft of a call is kept and later ones are dropped, as submit() keeps the first. A draft that
 * carries a recording is kept under a name of its own, so that a draft without it (the status
 * callback's) cannot keep it out; CallFiler attaches it to the call's request when drained.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { IntakeDraft } from '../../domain/request.js';
import { isIntakeError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Settings } from '../../settings.js';
import { PRIVATE_FILE_MODE, ensurePrivateFolder } from '../../private-files.js';
import { withTimeout } from '../../util/timeouts.js';
import { recordingOf, type CallFiler } from './call-filer.js';

/** Where calls wait while Redis is down, unless told otherwise: `phone-spool` beside the attachments. */
export function defaultSpoolDir(settings: Pick<Settings, 'attachments'>): string {
  return path.join(path.dirname(settings.attachments.dir), 'phone-spool');
}

export interface PhoneSpoolOptions {
  dir: string;
  /** Files a drained draft as the routes would have (one request per call, its recording kept). */
  filer: CallFiler;
  logger: Logger;
  /** How often the spool is retried while it holds drafts. */
  retryMs: number;
}

export class PhoneSpool {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<number> | undefined;

  constructor(private readonly options: PhoneSpoolOptions) {
    // Drafts hold callers' numbers and recordings' addresses: the gateway's user only.
    ensurePrivateFolder(options.dir);
  }

  /**
   * Keeps a draft on disk until Redis takes it. Resolves false when a draft of the call already
   * waits under the same name: that one is kept (first wins) and this one is dropped.
   */
  async save(draft: IntakeDraft): Promise<boolean> {
    const name = recordingOf(draft) ? `${draft.sourceKey}:recording` : draft.sourceKey;
    const file = path.join(this.options.dir, `${createHash('sha256').update(name).digest('hex').slice(0, 32)}.json`);
    // Never shared: two saves writing one temp would interleave their bytes.
    const temp = `${file}.${randomUUID()}.tmp`;
    try {
      const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
      try {
        await handle.writeFile(JSON.stringify(draft));
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        // link, not rename: rename would replace a draft already spooled (a finished call by its
        // late status callback), and a drain filing it would then delete the replacement unread.
        await link(temp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        this.options.logger.info({ sourceKey: draft.sourceKey }, 'call draft already spooled; the first one is kept');
        return false;
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    this.options.logger.warn({ sourceKey: draft.sourceKey }, 'call draft spooled to disk until Redis is back');
    return true;
  }

  /** How many drafts wait. */
  async pending(): Promise<number> {
    return (await this.files()).length;
  }

  /**
   * Submits what the spool holds; stops at the first REDIS_UNAVAILABLE (the rest would fail
   * the same way). A draft submit() rejects as invalid is moved aside (`.rejected`) for a
   * human rather than retried for ever. Returns how many were filed.
   */
  drain(): Promise<number> {
    this.draining ??= this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Retries every `retryMs` (and once now: drafts from before a restart). */
  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.drain().catch((error: unknown) => this.options.logger.warn({ err: error }, 'phone spool drain failed'));
    };
    this.timer = setInterval(tick, this.options.retryMs);
    this.timer.unref();
    tick();
  }

  /**
   * Stops retrying and waits up to `graceMs` for a drain under way (its submit() is bounded by
   * its own timeout). A draft whose filing is cut off stays on disk and is filed once by the
   * next start: filing is idempotent by source key.
   */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await withTimeout(this.draining?.catch(() => 0) ?? Promise.resolve(0), graceMs, () => 0);
  }

  private async files(): Promise<string[]> {
    const names = await readdir(this.options.dir).catch(() => [] as string[]);
    return names.filter((name) => name.endsWith('.json')).map((name) => path.join(this.options.dir, name));
  }

  private async drainOnce(): Promise<number> {
    let filed = 0;
    for (const file of await this.files()) {
      let draft: IntakeDraft;
      try {
        draft = JSON.parse(await readFile(file, 'utf8')) as IntakeDraft;
      } catch (error) {
        // Another process sharing the folder filed it meanwhile.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.options.logger.error({ err: error, file }, 'unreadable phone spool file; moved aside');
        await rename(file, `${file}.rejected`).catch(() => undefined);
        continue;
      }
      try {
        const result = await this.options.filer.file(draft);
        await unlink(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
        filed++;
        this.options.logger.info({ sourceKey: draft.sourceKey, requestNumber: result.requestNumber }, 'spooled call draft filed');
      } catch (error) {
        if (isIntakeError(error) && error.retryable) return filed;
        this.options.logger.error({ err: error, file }, 'spooled call draft rejected; moved aside for a human');
        await rename(file, `${file}.rejected`).catch(() => undefined);
      }
    }
    return filed;
  }
}
