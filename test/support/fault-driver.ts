/**
 * The fault suite's driver: files requests through all three channels at once — portal API
 * calls, whole signed Twilio call flows, mails appended to the private Dovecot — against the
 * live gateway processes of a cluster (on one Redis or on a Sentinel group), and logs every
 * submission on its own side: what was sent, every refusal it saw (503, a dropped connection,
 * the fallback TwiML) and how it ended.
 * `reconcile()` then compares that log with the request store: every accepted submission is
 * exactly one request with the right deadline, and the store holds nothing else.
 *
 * It behaves as the real senders do: the portal's back end retries a 503 or a dropped
 * connection with the same Idempotency-Key; a call's webhooks go to one process (Twilio keeps
 * a call's cookies, so a sticky load balancer can) and to another live one when it dies; a mail
 * server retries an APPEND it could not deliver.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import twilio from 'twilio';
import { vi } from 'vitest';
import { readTwiml, spokenText, type TwimlVerb } from '../../src/channels/phone/twiml-reader.js';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { responseDeadline } from '../../src/domain/deadlines.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { intakeKeys } from '../../src/intake/queues.js';
import { normalizeMessageId } from '../../src/domain/thread-keys.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';
import { loadCalendarExtras } from '../../src/settings-loader.js';
import { FAULTS_AUTH_TOKEN, FAULTS_PORTAL_KEY, FAULTS_PUBLIC_URL, POMOC, type ClusterBase, type GatewayProcess } from './fault-cluster.js';
import { buildMail } from './mail-gateway.js';

export type ChannelName = 'portal' | 'phone' | 'mail';

/**
 * How a submission ended for its sender: `accepted` (202, the number heard, the mail delivered),
 * `spooled` (the caller heard "your request is being registered"), `recorded` (the caller got
 * the fallback and left a message), `refused` (the driver gave up: nothing may be stored).
 */
export type Outcome = 'accepted' | 'spooled' | 'recorded' | 'refused';

export interface Submission {
  channel: ChannelName;
  sourceKey: string;
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
  /** Every refusal seen on the way, e.g. `A: 503`, `B: ECONNREFUSED`, `A: fallback`. */
  refusals: string[];
  /** The request number the sender was told (portal and phone), when it was told one. */
  toldNumber?: string;
}

export interface Reconciliation {
  submissions: number;
  byChannel: Record<ChannelName, Record<Outcome, number>>;
  /** Refusals the senders saw (and retried through). */
  refusalsSeen: number;
  /** Requests in the store. */
  stored: number;
  /** Accepted submissions without a stamped request. */
  missing: string[];
  /** Source keys stored more than once, and submissions told a number that is not theirs. */
  duplicated: string[];
  /** Requests stored for nothing a driver on the cluster sent (or for what it was refused). */
  unexpected: string[];
  /** Requests whose deadline or sentAt is not what the clock rules give. */
  wrongDeadline: string[];
}

const calendar = new ServiceCalendar({ extraClosures: loadCalendarExtras(path.join(DEFAULT_CONFIG_DIR, 'calendar-extras.json')).closures.map((c) => c.date) });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FaultDriver {
  readonly log: Submission[] = [];
  private turn = 0;
  private serial = 0;

  constructor(
    private readonly cluster: ClusterBase,
    /** How long a sender keeps retrying before it gives up. */
    private readonly retryForMs = 60_000,
  ) {}

  /** Runs `counts` submissions of each channel shuffled together, `concurrency` at a time. */
  async burst(counts: Partial<Record<ChannelName, number>>, concurrency = 16, onProgress?: (done: number) => void): Promise<void> {
    const tasks: ChannelName[] = [];
    for (const [channel, count] of Object.entries(counts) as Array<[ChannelName, number]>) for (let i = 0; i < count; i++) tasks.push(channel);
    for (let i = tasks.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [tasks[i], tasks[j]] = [tasks[j] as ChannelName, tasks[i] as ChannelName];
    }
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < tasks.length) {
        const channel = tasks[next++] as ChannelName;
        await (channel === 'portal' ? this.portal() : channel === 'phone' ? this.call() : this.mail());
        onProgress?.(++done);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /**
   * One portal request, retried with its Idempotency-Key through 503s and dropped connections;
   * to the live gateways in turn, or only to `via`.
   */
  async portal(via?: GatewayProcess): Promise<Submission> {
    const key = `faults-${randomUUID()}`;
    const entry = this.begin('portal', `portal:demo:${key}`);
    const body = JSON.stringify({
      reporter: { name: 'Tomasz Kamiński', email: 'tomasz.kaminski@example.pl', phone: '+48602300400' },
      contractNumber: 'HZ-2025-00208',
      serialNumber: 'Q24-25-10277',
      subject: `Napęd ${++this.serial}`,
      description: 'Błąd napędu, biblioteka nie ładuje taśm.',
      language: 'pl',
      kind: 'service',
    });
    while (Date.now() - entry.startedAt < this.retryForMs) {
      const gateway = via ?? this.pick();
      try {
        const response = await fetch(`${gateway.url}/api/v1/portal/requests`, {
          method: 'POST',
          headers: { authorization: `Bearer ${FAULTS_PORTAL_KEY}`, 'idempotency-key': key, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const answer = (await response.json().catch(() => ({}))) as { requestNumber?: string };
        if (response.status === 202 && answer.requestNumber) return this.end(entry, 'accepted', answer.requestNumber);
        entry.refusals.push(`${gateway.name}: ${response.status}`);
        if (response.status !== 503 && response.status !== 429) return this.end(entry, 'refused');
        // Retry-After is honoured in spirit; a test cannot wait the seconds a portal would.
        await sleep(Math.min(Number(response.headers.get('retry-after') ?? '1') * 1000, 300));
      } catch (error) {
        entry.refusals.push(`${gateway.name}: ${errorCode(error)}`);
        await sleep(100);
      }
    }
    return this.end(entry, 'refused');
  }

  /** A whole hotline call of a recognised representative (caller ID, one device). */
  async call(): Promise<Submission> {
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const entry = this.begin('phone', `call:${callSid}`);
    const base = { CallSid: callSid, AccountSid: 'ACfaults', From: '+48601200300', To: '+48122525600', Direction: 'inbound' };
    let verbs: TwimlVerb[] = [];
    const transcript: string[] = [];
    const sticky: { gateway?: GatewayProcess } = {};
    // The calling flow: greeting (language choice), confirm the contract, confirm the device.
    const steps: Array<() => [string, Record<string, string>]> = [
      () => ['/twilio/voice', { CallStatus: 'ringing' }],
      () => [textOf(verbs, 'Redirect'), { CallStatus: 'in-progress' }],
      () => [actionOf(verbs, 'Gather'), { CallStatus: 'in-progress', Digits: '1' }],
      () => [actionOf(verbs, 'Gather'), { CallStatus: 'in-progress', Digits: '1' }],
    ];
    for (let i = 0; i < steps.length; i++) {
      const [url, extra] = (steps[i] as () => [string, Record<string, string>])();
      const answer = await this.webhook(entry, sticky, url, { ...base, ...extra });
      if (answer === undefined) return this.end(entry, 'refused');
      verbs = answer;
      const said = spokenText(verbs).join(' ');
      transcript.push(`${url} → ${said}`);
      if (verbs.some((verb) => verb.name === 'Record') && /przeprasza|sorry/i.test(said)) {
        // The fallback: the caller leaves a message, which is filed for a call-back.
        entry.refusals.push('fallback');
        const recorded = await this.webhook(entry, sticky, actionOf(verbs, 'Record'), { ...base, CallStatus: 'in-progress', RecordingUrl: `https://api.twilio.com/rec/${callSid}`, RecordingDuration: '7' });
        return this.end(entry, recorded === undefined ? 'refused' : 'recorded');
      }
      if (/jest rejestrowane/.test(said)) return this.end(entry, 'spooled');
      const told = /H Z, (\d) (\d) (\d) (\d), (\d) (\d) (\d) (\d) (\d) (\d)/.exec(said);
      if (told) return this.end(entry, 'accepted', `HZ-${told.slice(1, 5).join('')}-${told.slice(5, 11).join('')}`);
    }
    throw new Error(`call ${callSid} ended without a number:\n${transcript.join('\n')}`);
  }

  /** One mail to pomoc@ from a representative, appended (retried while Dovecot is down). */
  async mail(): Promise<Submission> {
    const { raw, messageId } = buildMail({
      subject: `Awaria biblioteki ${++this.serial}`,
      body: 'Numer umowy: HZ-2026-00123\nS/N: XLS812-240517\nRobot nie odpowiada.\n',
    });
    const entry = this.begin('mail', `mail:${normalizeMessageId(messageId)}`);
    while (Date.now() - entry.startedAt < this.retryForMs) {
      try {
        await this.cluster.dovecot.append(POMOC, raw);
        return this.end(entry, 'accepted');
      } catch (error) {
        entry.refusals.push(`dovecot: ${errorCode(error)}`);
        await sleep(200);
      }
    }
    return this.end(entry, 'refused');
  }

  /** `count` mails delivered in one burst over one IMAP connection, resumed where it broke off. */
  /** `count` mails appended to pomoc@'s INBOX, or to `folder` for the test to bring in at once. */
  async mails(count: number, folder = 'INBOX'): Promise<Submission[]> {
    const batch = Array.from({ length: count }, () => {
      const { raw, messageId } = buildMail({ subject: `Awaria biblioteki ${++this.serial}`, body: 'Numer umowy: HZ-2026-00123\nS/N: XLS812-240517\nRobot nie odpowiada.\n' });
      return { raw, entry: this.begin('mail', `mail:${normalizeMessageId(messageId)}`) };
    });
    let next = 0;
    const started = Date.now();
    while (next < batch.length && Date.now() - started < this.retryForMs) {
      try {
        await this.cluster.dovecot.appendMany(POMOC, batch.slice(next).map((mail) => mail.raw), folder);
        next = batch.length;
      } catch (error) {
        // A mail cut off mid-APPEND may or may not have gone in; sending it again is what a
        // mail server does, and the Message-ID makes it one request either way.
        next += (error as { appended?: number }).appended ?? 0;
        (batch[next] ?? batch[batch.length - 1])?.entry.refusals.push(`dovecot: ${errorCode(error)}`);
        await sleep(200);
      }
    }
    for (const [i, { entry }] of batch.entries()) this.end(entry, i < next ? 'accepted' : 'refused');
    return batch.map((mail) => mail.entry);
  }

  /**
   * Waits until every submission that was not refused is a stamped request (or `timeoutMs`
   * passes), then compares the log with the whole store (which may also hold what earlier
   * drivers on the same cluster filed).
   */
  async reconcile(timeoutMs = 60_000): Promise<Reconciliation> {
    const keys = intakeKeys(this.cluster.prefix);
    const expected = this.log.filter((entry) => entry.outcome !== 'refused');
    const found = new Map<string, ServiceRequest>();
    await vi
      .waitFor(
        async () => {
          for (const entry of expected) {
            if (found.has(entry.sourceKey)) continue;
            const number = await this.cluster.client.hget(keys.source(entry.sourceKey), 'number');
            const request = number ? await this.cluster.store.get(number) : null;
            if (request) found.set(entry.sourceKey, request);
          }
          if (found.size < expected.length) throw new Error(`${expected.length - found.size} submissions not stamped yet`);
        },
        { timeout: timeoutMs, interval: 250 },
      )
      .catch(() => undefined);

    const stored = await this.cluster.store.listOpen({ limit: 1_000_000 });
    const bySource = new Map<string, number>();
    for (const request of stored) bySource.set(request.sourceKey, (bySource.get(request.sourceKey) ?? 0) + 1);
    // Other drivers on the same cluster (earlier scenarios) filed the rest of the store.
    const logged = new Map(this.cluster.submissions.map((entry) => [entry.sourceKey, entry]));
    const report: Reconciliation = {
      submissions: this.log.length,
      byChannel: { portal: emptyOutcomes(), phone: emptyOutcomes(), mail: emptyOutcomes() },
      refusalsSeen: this.log.reduce((sum, entry) => sum + entry.refusals.length, 0),
      stored: stored.length,
      missing: expected.filter((entry) => !found.has(entry.sourceKey)).map((entry) => entry.sourceKey),
      duplicated: [...bySource].filter(([, count]) => count > 1).map(([key]) => key),
      unexpected: stored.filter((request) => logged.get(request.sourceKey)?.outcome === undefined || logged.get(request.sourceKey)?.outcome === 'refused').map((r) => `${r.number} (${r.sourceKey})`),
      wrongDeadline: [],
    };
    for (const entry of this.log) report.byChannel[entry.channel][entry.outcome] += 1;
    for (const entry of expected) {
      const request = found.get(entry.sourceKey);
      if (!request) continue;
      if (entry.toldNumber && entry.toldNumber !== request.number) report.duplicated.push(`${entry.sourceKey} told ${entry.toldNumber}, stored ${request.number}`);
      const problem = deadlineProblem(entry, request);
      if (problem) report.wrongDeadline.push(`${request.number} (${entry.sourceKey}): ${problem}`);
    }
    return report;
  }

  private begin(channel: ChannelName, sourceKey: string): Submission {
    const entry: Submission = { channel, sourceKey, startedAt: Date.now(), endedAt: 0, outcome: 'refused', refusals: [] };
    this.log.push(entry);
    this.cluster.submissions.push(entry);
    return entry;
  }

  private end(entry: Submission, outcome: Outcome, toldNumber?: string): Submission {
    entry.outcome = outcome;
    entry.endedAt = Date.now();
    if (toldNumber) entry.toldNumber = toldNumber;
    return entry;
  }

  /** The live gateways in turn (a load balancer's round robin over healthy backends). */
  private pick(): GatewayProcess {
    const live = this.cluster.gateways.filter((gateway) => gateway.alive);
    if (live.length === 0) throw new Error('no gateway process is alive');
    return live[this.turn++ % live.length] as GatewayProcess;
  }

  /**
   * One signed webhook of a call, to the call's process (Twilio keeps a call's cookies, so a
   * sticky load balancer sends it there), or to another live one when that does not answer.
   */
  private async webhook(entry: Submission, sticky: { gateway?: GatewayProcess }, url: string, params: Record<string, string>): Promise<TwimlVerb[] | undefined> {
    const signature = twilio.getExpectedTwilioSignature(FAULTS_AUTH_TOKEN, `${FAULTS_PUBLIC_URL}${url}`, params);
    while (Date.now() - entry.startedAt < this.retryForMs) {
      const gateway = sticky.gateway?.alive ? sticky.gateway : this.pick();
      sticky.gateway = gateway;
      try {
        const response = await fetch(`${gateway.url}${url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams(params).toString(),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.status === 200) return readTwiml(text);
        entry.refusals.push(`${gateway.name}: ${response.status}`);
      } catch (error) {
        entry.refusals.push(`${gateway.name}: ${errorCode(error)}`);
        sticky.gateway = undefined;
      }
      await sleep(100);
    }
    return undefined;
  }
}

/** One line for the test output. */
export function describeReconciliation(name: string, report: Reconciliation): string {
  const channels = (Object.entries(report.byChannel) as Array<[ChannelName, Record<Outcome, number>]>)
    .map(([channel, outcomes]) => `${channel} ${Object.entries(outcomes).filter(([, n]) => n > 0).map(([o, n]) => `${n} ${o}`).join('/') || '0'}`)
    .join(', ');
  return `${name}: ${report.submissions} submissions (${channels}); ${report.refusalsSeen} refusals seen and retried; ${report.stored} requests stored; missing ${report.missing.length}, duplicated ${report.duplicated.length}, unexpected ${report.unexpected.length}, wrong deadline ${report.wrongDeadline.length}`;
}

function emptyOutcomes(): Record<Outcome, number> {
  return { accepted: 0, spooled: 0, recorded: 0, refused: 0 };
}

/** The deadline the clock rules give for what the request says, and a sentAt inside the submission. */
function deadlineProblem(entry: Submission, request: ServiceRequest): string | undefined {
  const sentAt = Date.parse(request.sentAt);
  // Mail's sentAt is the IMAP INTERNALDATE of its arrival, to the second.
  if (sentAt < Math.floor(entry.startedAt / 1000) * 1000 || sentAt > entry.endedAt) {
    return `sentAt ${request.sentAt} outside the submission (${new Date(entry.startedAt).toISOString()}..${new Date(entry.endedAt).toISOString()})`;
  }
  if (entry.outcome === 'recorded') return undefined;
  if (request.acceptability !== 'accepted' || !request.window) return `acceptability ${request.acceptability} (${request.reason ?? ''})`;
  const expected = responseDeadline(Date.parse(request.clockStartedAt ?? request.sentAt), request.window, calendar);
  if (Date.parse(request.responseDeadline?.at ?? '') !== expected) return `deadline ${request.responseDeadline?.at} instead of ${new Date(expected).toISOString()}`;
  return undefined;
}

function textOf(verbs: TwimlVerb[], name: string): string {
  const verb = verbs.find((v) => v.name === name);
  if (!verb) throw new Error(`no <${name}> in ${JSON.stringify(verbs.map((v) => v.name))}`);
  return verb.text.trim();
}

function actionOf(verbs: TwimlVerb[], name: string): string {
  const verb = verbs.find((v) => v.name === name);
  if (!verb?.attributes.action) throw new Error(`no <${name} action> in ${JSON.stringify(verbs.map((v) => v.name))}`);
  return verb.attributes.action;
}

function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as { code?: string }).code ?? (error as Error).name ?? 'error';
}
