/**
 * What stands before a password is checked (issue 20): a stateless CSRF token for the sign-in
 * form, limits on sign-in attempts per client address and for everyone, and a cap on the
 * bcrypt comparisons running at once, each in a worker thread.
 *
 * Why stateless: the form used to store an anonymous session in Redis for every visitor (about
 * 820 bytes for 30 minutes; 300 visits a second filled the compose Redis in half an hour and
 * intake stopped). The double-submit token of csrf-csrf needs nothing stored: an HMAC-signed
 * value in an HttpOnly cookie, the same value in the form; a forged form from another site can
 * send the cookie but cannot read it. A session is created only by a successful sign-in.
 *
 * Why a cap and workers: bcryptjs compares in JavaScript on the event loop, in slices of up to
 * 100 ms. Two dozen comparisons at once pushed /healthz to 1.2 s; with at most
 * `passwordChecksAtOnce` running, each in a worker thread, and a short queue behind them, the
 * rest are told to come back (503, Retry-After) at once.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Request, RequestHandler, Response } from 'express';
import { doubleCsrf } from 'csrf-csrf';
import { rateLimit } from 'express-rate-limit';
import { InternalFailure } from '../../errors.js';

/** The sign-in form's CSRF token: made without any server-side state, checked on the POST. */
export interface SignInFormToken {
  /** Sets the token's cookie on `res` and returns the value the form carries. */
  issue(req: Request, res: Response): string;
  /** Whether the POST carries the token of its cookie (form field `_csrf`). */
  valid(req: Request): boolean;
}

/** A double-submit token (csrf-csrf) under `cookieName`; `secret` empty → a random one for this process. */
export function signInFormToken(options: { secret: string; secure: boolean }): SignInFormToken {
  const secret = options.secret || randomBytes(32).toString('base64url');
  // `__Host-` (over HTTPS) keeps a sibling subdomain from planting its own cookie and token pair.
  const cookieName = options.secure ? '__Host-hezo_ops_form' : 'hezo_ops_form';
  const csrf = doubleCsrf({
    getSecret: () => secret,
    // No session exists before sign-in: the token is bound to the form, not to a visitor.
    getSessionIdentifier: () => 'ops-sign-in',
    cookieName,
    cookieOptions: { sameSite: 'strict', secure: options.secure, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      return typeof body?._csrf === 'string' ? body._csrf : undefined;
    },
  });
  // csrf-csrf reads `req.cookies` (cookie-parser's); only its own cookie is needed.
  const withCookie = (req: Request): void => {
    const value = readCookie(req, cookieName);
    req.cookies = value === undefined ? {} : { [cookieName]: value };
  };
  return {
    issue(req, res) {
      withCookie(req);
      return csrf.generateCsrfToken(req, res, { overwrite: true });
    },
    valid(req) {
      withCookie(req);
      return csrf.validateRequest(req);
    },
  };
}

/**
 * Attempts per client address and from everyone, counted in this process's memory
 * (express-rate-limit's store): a refusal costs no Redis round trip, which matters most when
 * someone floods the form. With several web instances each counts its own share.
 */
export function signInRateLimits(options: { perAddressPerMinute: number; perMinute: number; refuse: (req: Request, res: Response, retryAfterSeconds: number) => void }): RequestHandler[] {
  const windowMs = 60_000;
  const common = {
    windowMs,
    standardHeaders: 'draft-7' as const,
    legacyHeaders: false,
    handler: (req: Request, res: Response) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
      res.set('Retry-After', String(seconds));
      options.refuse(req, res, seconds);
    },
  };
  return [
    rateLimit({ ...common, limit: options.perAddressPerMinute }),
    rateLimit({ ...common, limit: options.perMinute, keyGenerator: () => 'everyone' }),
  ];
}

/**
 * bcrypt off the event loop: bcryptjs computes in JavaScript and, even "async", holds the
 * thread for up to 100 ms at a time — two checks at once kept /healthz waiting 280 ms. Each
 * check runs in one of `atOnce` worker threads; up to `waiting` more queue for a free one;
 * beyond that `compare` answers null at once (the caller is told to come back) instead of
 * queueing without end. Workers start at the first check and are unref'd.
 */
export class PasswordChecker {
  private readonly idle: Worker[] = [];
  private started = 0;
  private readonly queue: Array<(worker: Worker) => void> = [];
  private closed = false;

  constructor(
    private readonly atOnce: number,
    private readonly waiting: number,
  ) {}

  /** Whether `password` matches the bcrypt `hash`; null when every worker is busy and the queue is full. */
  async compare(password: string, hash: string): Promise<boolean | null> {
    const result = await this.run({ op: 'compare', password, hash });
    return result === null ? null : result === true;
  }

  /** A bcrypt hash of `password` at `cost` (waits for a worker whatever the queue). */
  async hash(password: string, cost: number): Promise<string> {
    const result = await this.run({ op: 'hash', password, cost }, true);
    return String(result);
  }

  /** Ends the workers (a check in flight is answered as a failure). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((worker) => worker.terminate()));
  }

  private async run(message: WorkerMessage, always = false): Promise<boolean | string | null> {
    const worker = await this.take(always);
    if (!worker) return null;
    let broken = false;
    try {
      return await new Promise<boolean | string>((resolve, reject) => {
        const onMessage = (answer: { ok?: boolean; hash?: string; error?: string }): void => {
          worker.off('error', reject);
          if (answer.error !== undefined) reject(new PasswordCheckFailure(answer.error));
          else resolve(answer.hash ?? answer.ok === true);
        };
        worker.once('message', onMessage);
        worker.once('error', (error) => {
          broken = true;
          reject(new PasswordCheckFailure(error.message, error));
        });
        worker.postMessage(message);
      });
    } finally {
      if (broken) this.replace(worker);
      else this.give(worker);
    }
  }

  /** A worker that failed is dropped; its slot starts a new one for whoever waits. */
  private replace(worker: Worker): void {
    void worker.terminate();
    this.started -= 1;
    const next = this.queue.shift();
    if (next) void this.take(true).then((fresh) => fresh && next(fresh));
  }

  private async take(always: boolean): Promise<Worker | null> {
    const free = this.idle.pop();
    if (free) return free;
    if (this.started < this.atOnce) {
      this.started += 1;
      // No inherited flags: `--input-type=module` (or a loader) would make the CommonJS source fail.
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { bcryptjs: BCRYPTJS } });
      worker.unref();
      return worker;
    }
    if (!always && this.queue.length >= this.waiting) return null;
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private give(worker: Worker): void {
    if (this.closed) {
      void worker.terminate();
      return;
    }
    const next = this.queue.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }
}

type WorkerMessage = { op: 'compare'; password: string; hash: string } | { op: 'hash'; password: string; cost: number };

/** A password check whose worker failed (INTERNAL_FAILURES). */
class PasswordCheckFailure extends InternalFailure {
  constructor(reason: string, cause?: unknown) {
    super('PasswordCheckFailure', `the password check failed: ${reason}`, cause === undefined ? undefined : { cause });
  }
}

/** bcryptjs's CommonJS entry, resolved here so that the worker finds it wherever the process runs from. */
const BCRYPTJS = createRequire(import.meta.url).resolve('bcryptjs');

/*
 * The worker lowers its own thread's scheduling priority (Linux: a thread id is a pid for
 * setpriority): on a machine with few cores the comparisons must not take the CPU from the
 * event loop that answers everything else. Elsewhere it keeps the normal priority.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) require('node:os').setPriority(tid, 15);
} catch {}
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', (message) => {
  try {
    if (message.op === 'hash') parentPort.postMessage({ hash: bcrypt.hashSync(message.password, message.cost) });
    else parentPort.postMessage({ ok: bcrypt.compareSync(message.password, message.hash) });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
});
`;

/** A cookie of the request by name (no cookie-parser in this app); a value that does not decode is no value. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) {
      try {
        return decodeURIComponent(part.slice(index + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
