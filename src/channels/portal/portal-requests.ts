/**
 * What the portal API does, without HTTP: file a request for a client (checked, bound to its
 * Idempotency-Key, submitted), read one of the client's requests back, and attach uploaded
 * files to it. routes.ts reads the HTTP request into these calls and writes their answers.
 *
 * Redis failures of our own reads are 503s like submit()'s, never 500s.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Attachment, IntakeDraft, ServiceRequest } from '../../domain/request.js';
import { parseRequestNumber } from '../../domain/request-number.js';
import { IntakeError, isIntakeError } from '../../errors.js';
import type { RequestReader } from '../../intake/request-reader.js';
import type { Intake } from '../../intake/intake.js';
import type { Logger } from '../../logger.js';
import type { AttachAnswer, FiledAnswer, PortalStatus, RequestStatusView } from './answers.js';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE, idempotencyGuard } from './idempotency.js';
import { portalSourcePrefix, RequestOwnership } from './ownership.js';
import { portalDraft, portalRequestProblems } from './schemas.js';
import { customerView } from './status-view.js';

export interface PortalRequestsOptions {
  intake: Intake;
  store: RequestReader;
  /** The general-purpose client (idempotency records, ownership). */
  redis: Redis;
  /** The deployment's key prefix (settings.intake.prefix). */
  prefix: string;
  /** Where the API is reached from outside, for the status URL of a filed request. */
  publicApiUrl: string;
  /** How old a request's `sentAt` may be (settings.portal.sentAtMaxAgeMs). */
  sentAtMaxAgeMs: number;
  logger: Logger;
  now: () => number;
}

/** A filed request: the answer and whether it replays an earlier one with the same key. */
export interface Filed {
  answer: FiledAnswer;
  replayed: boolean;
}

export class PortalRequests {
  private readonly ownership: RequestOwnership;

  constructor(private readonly options: PortalRequestsOptions) {
    this.ownership = new RequestOwnership(options.redis, options.prefix);
  }

  /** Files `body` (the JSON sent) for `client`; INPUT_INVALID with every problem at once. */
  async file(client: string, body: unknown, idempotencyKey: string | undefined): Promise<Filed> {
    const { prefix } = this.options;
    const nowMs = this.options.now();
    const { request, problems } = portalRequestProblems(body, nowMs, this.options.sentAtMaxAgeMs);
    const key = idempotencyKey;
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) problems.push({ path: 'Idempotency-Key', message: IDEMPOTENCY_KEY_RULE });
    if (request?.escalates && !(await redisCall(this.ownership.isOwner(request.escalates, client)))) {
      problems.push({ path: 'escalates', message: `no request ${request.escalates} was filed with this API key` });
    }
    if (!request || problems.length > 0) throw new IntakeError('INPUT_INVALID', 'The request has problems; see details.', { details: problems });

    // The client's name is part of the source key, and the source key is who filed it (ownership.ts).
    const sourceKey = `${portalSourcePrefix(client)}${key ?? randomUUID()}`;
    // The key is bound to the body in the step that numbers the request (422 on a conflict).
    const guard = key === undefined ? undefined : idempotencyGuard(prefix, client, key, body);
    const result = await this.options.intake.submit(portalDraft(request, client, sourceKey, nowMs), guard ? { guard } : {});
    const answer: FiledAnswer = {
      requestNumber: result.requestNumber,
      status: result.duplicate || result.mode === 'attach' ? await this.statusOfFiled(result.requestNumber) : 'queued',
      statusUrl: `${this.options.publicApiUrl}/requests/${result.requestNumber}`,
    };
    return { answer, replayed: result.duplicate && key !== undefined };
  }

  /** The customer's view of one of the client's requests. */
  async view(number: string): Promise<RequestStatusView> {
    const [request, history] = await redisCall(Promise.all([this.options.store.get(number), this.options.store.history(number)]));
    return customerView(number, request, history);
  }

  /** A request's status for the demo pages (status-page.ts): null unless `client` filed it. */
  async pageStatus(number: string, client: string): Promise<{ view: RequestStatusView; request: ServiceRequest | null } | null> {
    if (!(await redisCall(this.ownership.isOwner(number, client)))) return null;
    const [request, history] = await redisCall(Promise.all([this.options.store.get(number), this.options.store.history(number)]));
    return { view: customerView(number, request, history), request };
  }

  /** Files stored uploads as an attachment to request `number`, with the client's `note`. */
  async attach(client: string, number: string, attachments: Attachment[], note: string): Promise<AttachAnswer> {
    const checksums = createHash('sha256').update(attachments.map((a) => a.sha256).sort().join(',')).digest('hex');
    const stored = await redisCall(this.options.store.get(number));
    const draft: IntakeDraft = {
      channel: 'portal',
      kind: 'service',
      sourceKey: `portal:${client}:attach:${number}:${checksums}`,
      sentAt: new Date(this.options.now()).toISOString(),
      reporter: {},
      ...(note ? { description: note } : {}),
      language: stored?.language ?? 'pl',
      attachments,
      references: [number],
      raw: { payload: { client, upload: true } },
    };
    const result = await this.options.intake.submit(draft);
    return { requestNumber: result.requestNumber, attachments: attachments.map(({ name, type, size, sha256 }) => ({ name, type, size, sha256 })) };
  }

  /** The number as given in a path, if `client` filed it; 404 for any other (existence is not leaked). */
  async ownedNumber(text: string, client: string): Promise<string> {
    const number = parseRequestNumber(text);
    if (number === null) {
      throw new IntakeError('INPUT_INVALID', `"${text}" is not a request number.`, { details: [{ path: 'number', message: 'expected HZ-YYYY-NNNNNN' }] });
    }
    if (!(await redisCall(this.ownership.isOwner(number, client)))) throw new IntakeError('NOT_FOUND', `No request ${number} was filed with this API key.`);
    return number;
  }

  /**
   * The status of a request submit() has just filed (an escalation's target, a replay's
   * request), or `queued` when it cannot be read. Never a 503: that answer says nothing was
   * filed, and a portal retrying without an Idempotency-Key would file the escalation twice.
   */
  private async statusOfFiled(number: string): Promise<PortalStatus> {
    try {
      return (await this.options.store.get(number))?.status ?? 'queued';
    } catch (error) {
      this.options.logger.warn({ err: error, requestNumber: number }, 'portal request filed, but its status could not be read; answered queued');
      return 'queued';
    }
  }
}

/** 503: Redis is down, nothing was filed. */
export function unavailable(cause?: unknown): IntakeError {
  return new IntakeError('REDIS_UNAVAILABLE', 'Redis is unavailable; nothing was filed, try again shortly.', cause === undefined ? {} : { cause });
}

async function redisCall<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw isIntakeError(error) ? error : unavailable(error);
  }
}
