/**
 * The one list of error codes hezo-intake answers with. Every code has an HTTP status, says
 * whether trying again can help, and a meaning that `test/unit/errors.test.ts` requires to be
 * documented here. Messages are written for the person who has to act on them.
 */
import { z } from 'zod';

export const ERROR_CODES = {
  SETTINGS_INVALID: {
    status: 500,
    retryable: false,
    meaning: 'A setting in config/ or the environment is wrong; the process refuses to start.',
  },
  REGISTRY_INVALID: {
    status: 500,
    retryable: false,
    meaning: 'The contract registry file cannot be read or fails validation.',
  },
  INSTANT_INVALID: {
    status: 400,
    retryable: false,
    meaning: 'An instant is not ISO-8601 with an offset or Z, or lies outside the calendar.',
  },
  WINDOW_INVALID: {
    status: 400,
    retryable: false,
    meaning: 'A service window other than 8x5 or 24x7 was given.',
  },
  USAGE: {
    status: 400,
    retryable: false,
    meaning: 'The command line is wrong: unknown command or flag, missing argument.',
  },
  PORT_UNAVAILABLE: {
    status: 500,
    retryable: false,
    meaning: 'The HTTP port cannot be listened on: another program holds it, it needs privileges, or http.host is not an address of this machine; `serve` exits 69.',
  },
  REDIS_MISSING: {
    status: 500,
    retryable: false,
    meaning: 'REDIS_URL is unset and redis-server is not installed for the embedded default.',
  },
  ALREADY_RUNNING: {
    status: 409,
    retryable: false,
    meaning: 'Another gateway runs on this data folder (its pid and port are named); stop it, or give this one its own folder with HEZO_REDIS_DIR.',
  },
  REDIS_UNAVAILABLE: {
    status: 503,
    retryable: true,
    meaning: 'Redis cannot be reached, or did not confirm the request on enough replicas in time; nothing was acknowledged, try again shortly (a retry files nothing twice).',
  },
  DRAFT_INVALID: {
    status: 400,
    retryable: false,
    meaning: 'An intake draft does not have the shape every channel must hand to submit().',
  },
  INPUT_INVALID: {
    status: 400,
    retryable: false,
    meaning: 'A request body, parameter or query is malformed; details name every field at fault.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    meaning: 'A body, mail or attachment is over its size limit; nothing of it was kept.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    meaning: 'The body is not of a type this endpoint takes (JSON, multipart, a Twilio form).',
  },
  ATTACHMENT_NOT_ALLOWED: {
    status: 415,
    retryable: false,
    meaning: 'An uploaded file is not on the allow-list (text and logs, csv, json, xml, pdf, images, zip/gz/tgz/7z), judged by its name and its content; the message lists what is allowed, and nothing of the upload was kept.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    retryable: false,
    meaning: 'An Idempotency-Key was used before with a different body; use a new key for a new request.',
  },
  RATE_LIMITED: {
    status: 429,
    retryable: true,
    meaning: 'Too many requests with this API key; wait for the time in Retry-After.',
  },
  NOT_FOUND: {
    status: 404,
    retryable: false,
    meaning: 'The request (or route) named does not exist.',
  },
  UNAUTHORIZED: {
    status: 401,
    retryable: false,
    meaning: 'Credentials are missing or wrong.',
  },
  FORBIDDEN: {
    status: 403,
    retryable: false,
    meaning: 'A signed-in form or action came without its CSRF token (or with a wrong one); reload the page and try again.',
  },
  SIGNATURE_INVALID: {
    status: 403,
    retryable: false,
    meaning: 'A Twilio webhook came without a valid X-Twilio-Signature for the public URL it was sent to; it was ignored.',
  },
  TWIML_INVALID: {
    status: 502,
    retryable: false,
    meaning: 'The call simulator (`hezo-intake call`) got an answer from the IVR that is not TwiML; check that --url names the gateway.',
  },
  ILLEGAL_TRANSITION: {
    status: 409,
    retryable: false,
    meaning: 'The action does not fit the request status; the answer carries the current status.',
  },
  OWNED_BY_OTHER: {
    status: 409,
    retryable: false,
    meaning: 'Another engineer has taken the request (details name the owner); ask them, or have it assigned to you.',
  },
  NO_REPORTER_ADDRESS: {
    status: 409,
    retryable: false,
    meaning: 'A mail to the reporter was asked for, but the request has no reporter e-mail address; add one (PATCH the request) or call.',
  },
  OPEN_REQUESTS_HELD: {
    status: 409,
    retryable: false,
    meaning: 'A data-subject erasure was refused and nothing was changed: the person still has open requests, queued jobs or spooled calls. Close them first, or force the erasure.',
  },
  ERASURE_INCOMPLETE: {
    status: 503,
    retryable: true,
    meaning: 'An erasure could not finish now: a job naming the person is running, or Twilio could not be asked to delete their call recording; run the same erasure again later (what was done stays done).',
  },
  CHECKLIST_INCOMPLETE: {
    status: 409,
    retryable: false,
    meaning: 'An inspection cannot be closed before its logs, firmware and operation items are recorded; the answer names those missing.',
  },
  INTERNAL: {
    status: 500,
    retryable: true,
    meaning: 'An unexpected fault; the request was not lost, the operation can be retried.',
  },
} as const satisfies Record<string, { status: number; retryable: boolean; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem of a request or a file, named by where it is. */
export const errorDetailSchema = z
  .object({
    path: z.string().describe('Where the problem is: a field path such as `reporter.email`, or `(body)`, `(root)`.'),
    message: z.string().describe('What is wrong there.'),
    file: z.string().optional().describe('The file at fault (settings, contract registry).'),
    line: z.number().int().optional().describe('The line in that file.'),
  })
  .describe('One problem, named by where it is.');
export type IntakeErrorDetail = z.output<typeof errorDetailSchema>;

function errorAnswerShape(code: z.ZodType<ErrorCode>, retryable: z.ZodType<boolean>) {
  return z.object({
    error: z.object({
      code: code.describe('See docs/errors.md.'),
      message: z.string().describe('What to do about it, in words for a person.'),
      retryable: retryable.describe('Whether sending the same request again later can succeed.'),
      details: z.array(errorDetailSchema).optional().describe('Every field at fault at once (with INPUT_INVALID).'),
    }),
  });
}

/** The body of every error answer, `{"error": {...}}`: app.ts answers with it, the OpenAPI document describes it. */
export const errorAnswerSchema = errorAnswerShape(z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]), z.boolean());
export type ErrorAnswer = z.output<typeof errorAnswerSchema>;

/** The error answer with one code, and the `retryable` that code always has. */
export function errorAnswerSchemaFor(code: ErrorCode): typeof errorAnswerSchema {
  return errorAnswerShape(z.literal(code), z.literal(ERROR_CODES[code].retryable));
}

/** An error the gateway expects and knows how to answer. */
export class IntakeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  /** Field-level problems, e.g. `[{ path: 'contracts[2].window', message: '...' }]`. */
  readonly details: readonly IntakeErrorDetail[];

  constructor(code: ErrorCode, message: string, options: { details?: IntakeErrorDetail[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IntakeError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = options.details ?? [];
  }

  toJSON(): ErrorAnswer['error'] {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details.length > 0 ? { details: [...this.details] } : {}),
    };
  }
}

export function isIntakeError(error: unknown): error is IntakeError {
  return error instanceof IntakeError;
}

/**
 * Failures that never reach a caller: each is caught where it is raised and turned into what
 * the service does about it (a quarantined mail, a retry at the next drain or attempt, a 500
 * INTERNAL answer), so none needs a code. docs/errors.md lists them under "Internal failures";
 * test/unit/errors.test.ts fails on an error class, or a raw Error thrown, in neither list.
 */
export const INTERNAL_FAILURES = {
  MailParseError: {
    raisedIn: 'src/channels/mail/parse-mail.ts',
    retryable: false,
    meaning: 'A mail cannot be read (over the size limit, unparseable, an attachment over its limit): the drain quarantines it with this reason. The mail\'s own fault, so reading it again cannot help.',
  },
  MailMoveError: {
    raisedIn: 'src/channels/mail/move-mail.ts',
    retryable: true,
    meaning: 'The IMAP server refused a UID MOVE out of INBOX or the connection dropped: the drain stops before its watermark, the mailbox status shows the failure, and the next drain moves the mails.',
  },
  StoreFailure: {
    raisedIn: 'src/channels/portal/uploads.ts',
    retryable: true,
    meaning: 'The attachment store failed while storing an upload (a full disk); unwrapped into a 500 INTERNAL answer so that it is not answered as a malformed upload.',
  },
  PasswordCheckFailure: {
    raisedIn: 'src/ops/ops-page/sign-in-guards.ts',
    retryable: true,
    meaning: 'The worker thread comparing an ops sign-in password failed or stopped: the sign-in is answered 500 INTERNAL, and the next one starts a new worker.',
  },
  WebhookDeliveryFailure: {
    raisedIn: 'src/notify/webhook-sender.ts',
    retryable: true,
    meaning: 'The alert webhook did not answer in time or answered other than 2xx: the notification queue tries again.',
  },
  CredentialsFailure: {
    raisedIn: 'src/mail-auth/credentials-failure.ts',
    retryable: true,
    meaning: 'The credentials of a mailbox or of the SMTP relay could not be had: a token endpoint (Microsoft 365, Google, another OAuth2 provider) was unreachable or refused with its own reason (e.g. AADSTS7000215), or a secret file cannot be read. The mailbox is not connected and shows the reason on /readyz, engineers get one alert, the watcher and the notification queue try again with backoff, and mail waits in INBOX.',
  },
  RedisProbeFailure: {
    raisedIn: 'src/redis/connections.ts',
    retryable: true,
    meaning: 'The start-up check of Redis got no answer in time, or its test write failed in a way Redis did not describe: turned into the one plain line start-up prints (or exit 78 when it names a setting); the gateway keeps trying.',
  },
  UnrecoverableError: {
    raisedIn: 'src/notify/notifier.ts',
    retryable: false,
    meaning: 'BullMQ\'s class for a notification no attempt can deliver (no channel for its type, the provider refused it for good): the job fails at once.',
  },
  ImpossibleState: {
    raisedIn: 'src/errors.ts',
    retryable: false,
    meaning: 'An assertion of a state our own code rules out (a NaN duration, INBOX not open after opening it): a bug to report, never a caller\'s fault. A web request that meets one is answered 500 INTERNAL.',
  },
} as const satisfies Record<string, { raisedIn: string; retryable: boolean; meaning: string }>;

export type InternalFailureName = keyof typeof INTERNAL_FAILURES;

/**
 * Base of our own internal failures: the name is the entry in INTERNAL_FAILURES, which says
 * whether trying again can help. (UnrecoverableError is BullMQ's own class.)
 */
export abstract class InternalFailure extends Error {
  readonly retryable: boolean;

  protected constructor(
    override readonly name: Exclude<InternalFailureName, 'UnrecoverableError'>,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = INTERNAL_FAILURES[name].retryable;
  }
}

/** A state our own code rules out was reached: a bug, not something a caller can fix. */
export class ImpossibleState extends InternalFailure {
  constructor(what: string) {
    super('ImpossibleState', what);
  }
}

/** Asserts that a state cannot happen; `what` says which, for the bug report. */
export function impossible(what: string): never {
  throw new ImpossibleState(what);
}
