/**
 * The one list of error codes hezo-intake answers with. Every code has an HTTP status, says
 * whether trying again can help, and a meaning that `test/unit/errors.test.ts` requires to be
 * documented here. Messages are written for the person who has to act on them.
 */
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
  REDIS_MISSING: {
    status: 500,
    retryable: false,
    meaning: 'REDIS_URL is unset and redis-server is not installed for the embedded default.',
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
    meaning: 'The body is not of a type this endpoint takes (JSON, multipart), or an upload is an executable.',
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
  ILLEGAL_TRANSITION: {
    status: 409,
    retryable: false,
    meaning: 'The action does not fit the request status; the answer carries the current status.',
  },
  INTERNAL: {
    status: 500,
    retryable: true,
    meaning: 'An unexpected fault; the request was not lost, the operation can be retried.',
  },
} as const satisfies Record<string, { status: number; retryable: boolean; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

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

  toJSON(): { code: ErrorCode; message: string; retryable: boolean; details?: readonly IntakeErrorDetail[] } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details.length > 0 ? { details: this.details } : {}),
    };
  }
}

export interface IntakeErrorDetail {
  /** Where the problem is: a field path, optionally with file and line. */
  path: string;
  message: string;
  file?: string;
  line?: number;
}

export function isIntakeError(error: unknown): error is IntakeError {
  return error instanceof IntakeError;
}
