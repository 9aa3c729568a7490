/**
 * submit(draft): the one door every channel uses. Validates the draft, gives it a request
 * number (or finds the request it answers), and puts a job in the `intake` queue — resolving
 * only once Redis has the job (and, with redis.minReplicasAcked, once that many replicas have
 * it), so that a channel acknowledges its source (moves the mail, answers 2xx, tells the
 * caller) only for what is durably queued (DESIGN.md section 6).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { warsawClock } from '../domain/warsaw-time.js';
import { intakeDraftSchema, type IntakeDraft, type ValidDraft } from '../domain/request.js';
import { requestNumberTemplate } from '../domain/request-number.js';
import { normalizeMessageId, threadReference } from '../domain/thread-keys.js';
import { IntakeError, isIntakeError } from '../errors.js';
import { ReplicaConfirmation, type WrittenRecord } from '../redis/replica-confirmation.js';
import { closeWithin, withTimeout } from '../util/timeouts.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { Intake, SubmitOptions, SubmitResult } from './intake.js';
import { intakeJobOptions, intakeKeys, jobIdFor, QUEUE_NAMES, type IntakeJobData, type IntakeKeys } from './queues.js';

export interface IntakeServiceOptions {
  connections: RedisConnections;
  prefix: string;
  dispatchAttempts: number;
  /** How long to wait for Redis before answering "unavailable, retry" (a caller is waiting). */
  timeoutMs: number;
  /** The domain of the Message-IDs our mails carry (settings.mail.messageIdDomain). */
  ownMessageIdDomain?: string;
  /** For tests: the clock that picks the year of new request numbers. */
  now?: () => number;
}

/**
 * Allocation in one atomic script, so that concurrent submits of one source key (the same
 * mail seen by two processes, a replayed webhook) get one number and never two.
 * KEYS: source record, sequence, guard ('' for none). ARGV: the number records' key prefix, the
 * year's number template (`HZ-2026-%06d`, domain/request-number.ts: the script has no spelling
 * of its own), kind, own Message-ID, source key, guard value, guard ttl ms (0: no expiry), the
 * Message-ID records' key prefix (both prefixes from intakeKeys: nor has it a key layout of its
 * own), attach only ('1': a bounce, which never becomes a request of its own; '' otherwise),
 * refs (`n:` number, `m:` Message-ID).
 * The guard is checked first, so a conflicting repeat is refused even when its source is
 * known. Keys built from the prefix inside the script tie it to one Redis node: Sentinel is
 * fine, Cluster would need hash tags (DESIGN.md: Sentinel/Cluster is the path).
 */
const ALLOCATE = `
if KEYS[3] ~= '' then
  local bound = redis.call('GET', KEYS[3])
  if not bound then
    if tonumber(ARGV[7]) > 0 then
      redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
    else
      redis.call('SET', KEYS[3], ARGV[6])
    end
  elseif bound ~= ARGV[6] then
    return {'conflict'}
  end
end
local existing = redis.call('HGETALL', KEYS[1])
if #existing > 0 then
  local h = {}
  for i = 1, #existing, 2 do h[existing[i]] = existing[i + 1] end
  return {'1', h.number, h.mode, h.queued or '0', h.kind or ''}
end
local target = false
for i = 10, #ARGV do
  local kind = string.sub(ARGV[i], 1, 2)
  local value = string.sub(ARGV[i], 3)
  if kind == 'n:' and redis.call('EXISTS', ARGV[1] .. value) == 1 then
    target = value
  elseif kind == 'm:' then
    target = redis.call('GET', ARGV[8] .. value)
  end
  if target then break end
end
local mode = 'attach'
if not target and ARGV[9] == '1' then
  return {'orphan'}
end
if not target then
  local seq = redis.call('INCR', KEYS[2])
  target = string.format(ARGV[2], seq)
  redis.call('SET', ARGV[1] .. target, ARGV[5])
  mode = 'new'
end
redis.call('HSET', KEYS[1], 'number', target, 'mode', mode, 'queued', '0', 'kind', ARGV[3])
if ARGV[4] ~= '' then redis.call('SET', ARGV[8] .. ARGV[4], target, 'NX') end
return {'0', target, mode, '0', ARGV[3]}
`;

export class IntakeService implements Intake {
  private readonly redis: Redis;
  /** The queue's own connection: BullMQ does not close a connection it was handed. */
  private readonly queueRedis: Redis;
  private readonly queue: Queue<IntakeJobData>;
  private readonly keys: IntakeKeys;
  /** WAIT for redis.minReplicasAcked replicas before resolving (none: resolves at once). */
  private readonly replicas: ReplicaConfirmation;

  constructor(private readonly options: IntakeServiceOptions) {
    // No offline queue: while Redis is down a command fails at once instead of waiting in
    // memory, so the channel can answer 503 / keep the mail / play the fallback.
    // Auto-pipelining: the commands of concurrent submits leave in one socket write, which
    // halves the CPU a request costs here and in redis-server under load (bench/portal).
    this.redis = options.connections.client({ purpose: 'intake', offlineQueue: false, autoPipelining: true });
    this.redis.defineCommand('hezoAllocate', { numberOfKeys: 3, lua: ALLOCATE });
    // Not the queue's connection: BullMQ defines some forty scripts on it, and ioredis copies
    // every one onto each auto-pipeline it makes (one per tick), which costs more than the
    // socket write it saves (bench/portal: node CPU per request 0.31 → 0.29 ms).
    this.queueRedis = options.connections.client({ purpose: 'intake-queue', offlineQueue: false });
    this.queue = new Queue<IntakeJobData>(QUEUE_NAMES.intake, {
      connection: this.queueRedis,
      prefix: options.prefix,
      defaultJobOptions: intakeJobOptions(options.dispatchAttempts),
    });
    this.queue.on('error', () => undefined);
    this.keys = intakeKeys(options.prefix);
    this.replicas = new ReplicaConfirmation(options.connections, options.prefix);
  }

  /** Resolves when both connections are up (submit() fails fast until then). */
  async ready(): Promise<void> {
    await Promise.all([waitReady(this.redis), waitReady(this.queueRedis)]);
    await this.queue.waitUntilReady();
  }

  async submit(input: IntakeDraft, options: SubmitOptions = {}): Promise<SubmitResult> {
    const draft = validateDraft(input);
    return this.withTimeout(async () => {
      const year = warsawClock(this.options.now?.() ?? Date.now()).year;
      const refs = draft.references.map((ref) => this.referenceKey(ref));
      const ownMessageId = typeof draft.raw.payload?.messageId === 'string' ? normalizeMessageId(draft.raw.payload.messageId) : '';
      const sourceKey = this.keys.source(draft.sourceKey);
      const guard = options.guard;
      const allocated = (await (this.redis as Redis & { hezoAllocate(...args: string[]): Promise<string[]> }).hezoAllocate(
        sourceKey, this.keys.sequence(year), guard?.key ?? '',
        this.keys.number(''), requestNumberTemplate(year), draft.kind, ownMessageId, draft.sourceKey, guard?.value ?? '', String(guard?.ttlMs ?? 0), this.keys.messageId(''),
        draft.undeliverable ? '1' : '', ...refs,
      )) as [string, string, 'new' | 'attach', string, string];
      if (allocated[0] === 'conflict') {
        throw new IntakeError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different body; send a new key for a new request.');
      }
      if (allocated[0] === 'orphan') {
        throw new IntakeError('NOT_FOUND', 'The request this bounce names does not exist; nothing was filed.');
      }
      const [duplicate, requestNumber, mode, queued, storedKind] = allocated;

      const jobId = jobIdFor('intake', draft.sourceKey);
      // What must be on the primary, and then on the replicas, before the source is acknowledged.
      const written: WrittenRecord[] = [{ source: sourceKey, job: this.queue.toKey(jobId) }];
      if (queued !== '1') {
        // First submit, or a retry after a crash between allocation and queueing.
        const data: IntakeJobData = { requestNumber, mode, draft, submittedAt: new Date().toISOString(), eventSource: draft.sourceKey };
        // Marked queued by the dispatcher once it runs the job (RequestStore.create, or below
        // for attachments); until then a repeated submit adds again, which BullMQ ignores.
        await this.queue.add(mode, data, { jobId });
      }
      if (duplicate === '1' && draft.kind === 'escalation' && storedKind !== 'escalation') {
        // One mail sent to pomoc@ and escalation@: one request, flagged as an escalation.
        const data: IntakeJobData = {
          requestNumber,
          mode: 'attach',
          draft,
          submittedAt: new Date().toISOString(),
          eventSource: `${draft.sourceKey}#escalation`,
        };
        const escalateJobId = jobIdFor('escalate', draft.sourceKey);
        await this.queue.add('attach', data, { jobId: escalateJobId });
        await this.redis.hset(sourceKey, 'kind', 'escalation');
        // The flag is written last: found on the primary, the escalation job before it is too.
        written.push({ source: sourceKey, job: this.queue.toKey(escalateJobId), kind: 'escalation' });
      }
      // Also on a duplicate: the first submit of this source may have been refused its
      // confirmation (503), and this retry is what will be acknowledged.
      await this.replicas.confirm(written);
      return { requestNumber, mode, duplicate: duplicate === '1' };
    });
  }

  /**
   * A reference as the allocation script reads it: `n:` a request number (also the one our own
   * Message-IDs name), `m:` a Message-ID that may have been recorded for a request.
   */
  private referenceKey(ref: string): string {
    const reference = threadReference(ref, this.options.ownMessageIdDomain);
    return 'requestNumber' in reference ? `n:${reference.requestNumber}` : `m:${reference.messageId}`;
  }

  async close(graceMs = 2_000): Promise<void> {
    // Its connections are dropped right below whether or not the queue closed in time.
    await closeWithin(() => this.queue.close(), graceMs, () => undefined);
    this.queueRedis.disconnect();
    this.redis.disconnect();
    await this.replicas.close(0);
  }

  private async withTimeout<T>(work: () => Promise<T>): Promise<T> {
    // A confirmation may wait out one WAIT in flight and then its own.
    const limitMs = this.options.timeoutMs + (this.replicas.required > 0 ? 2 * this.options.connections.waitTimeoutMs : 0);
    try {
      return await withTimeout(work(), limitMs, () => {
        throw new IntakeError('REDIS_UNAVAILABLE', `Redis did not answer within ${limitMs} ms; nothing was acknowledged, try again.`);
      });
    } catch (error) {
      if (isIntakeError(error)) throw error;
      throw new IntakeError('REDIS_UNAVAILABLE', `Redis is unavailable (${(error as Error).message}); nothing was filed, try again.`, { cause: error });
    }
  }
}

/** Parses a draft; every field's problem at once, as IntakeError DRAFT_INVALID. */
export function validateDraft(input: IntakeDraft): ValidDraft {
  const parsed = intakeDraftSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new IntakeError('DRAFT_INVALID', 'The request is incomplete or malformed; see details.', {
    details: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message })),
  });
}

async function waitReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('end', () => reject(new IntakeError('REDIS_UNAVAILABLE', 'Redis connection ended before it was ready.')));
  });
}
