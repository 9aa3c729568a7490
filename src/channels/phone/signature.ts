/**
 * The door of every Twilio webhook: form-urlencoded bodies only (415 otherwise), parsed, and
 * `X-Twilio-Signature` checked (403 otherwise) with the twilio package's `validateRequest`.
 *
 * Twilio signs the URL it called — the public one, e.g. `https://intake.myhezo.pl/twilio/voice`
 * — not the one express sees behind a proxy (`http://127.0.0.1:8080/...`). So the URL checked
 * is settings.http.publicUrl plus the original path and query, never the Host header.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import twilio from 'twilio';
import { IntakeError } from '../../errors.js';

export interface TwilioWebhookOptions {
  /** settings.twilio.authToken; empty in the embedded default, where webhooks are signed with the empty key. */
  authToken: string;
  /** settings.http.publicUrl: scheme, host and any path prefix Twilio calls. */
  publicUrl: string;
  /** settings.phone.validateSignature (never off in production). */
  validateSignature: boolean;
}

/** The public URL Twilio signed for this request. */
export function signedUrl(publicUrl: string, originalUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${originalUrl}`;
}

/**
 * What `GET /twilio` answers: the URLs to enter in the Twilio console, and the public URL
 * signatures are checked against. `hezo-intake call` asks for it, since it may run with other
 * settings than the gateway (PUBLIC_URL set in one terminal only). Every URL in it is public.
 */
export interface TwilioSetup {
  /** settings.http.publicUrl. */
  publicUrl: string;
  webhooks: { hotline: string; escalation: string; statusCallback: string; fallback: string };
}

/** The TwilioSetup of a phone router mounted at `mountPath` (e.g. `/twilio`). */
export function twilioSetup(publicUrl: string, mountPath: string): TwilioSetup {
  const at = (route: string): string => signedUrl(publicUrl, `${mountPath}${route}`);
  return { publicUrl, webhooks: { hotline: at('/voice'), escalation: at('/escalation'), statusCallback: at('/status'), fallback: at('/fallback') } };
}

/**
 * How long a webhook's body may take to arrive. Twilio sends a few kilobytes at once; a body
 * still arriving after this is someone holding connections open, and is cut off.
 */
export const WEBHOOK_BODY_TIMEOUT_MS = 5_000;

/**
 * A refusal answered before the body is read: the connection is closed once the answer is out,
 * so that an unread body (maybe trickling in) does not keep it open.
 */
function closeUnread(req: Request, res: Response): void {
  res.set('Connection', 'close');
  res.once('finish', () => {
    if (!req.complete) req.socket.destroy();
  });
}

/**
 * Content type check, the signature header's presence, a body timeout, body parsing and the
 * signature check, in that order. The signature covers the form parameters, so a POST's body
 * has to be read before it can be checked; what can be refused earlier is: no signature at all
 * (403), a body declared over 64 KB (413, body-parser reads Content-Length first), and a body
 * that takes longer than WEBHOOK_BODY_TIMEOUT_MS (the connection is closed).
 */
export function twilioWebhook(options: TwilioWebhookOptions): RequestHandler[] {
  const requireForm: RequestHandler = (req, res, next) => {
    if (!req.is('application/x-www-form-urlencoded')) {
      closeUnread(req, res);
      next(new IntakeError('UNSUPPORTED_MEDIA_TYPE', 'Twilio webhooks are application/x-www-form-urlencoded.'));
      return;
    }
    if (options.validateSignature && !req.get('X-Twilio-Signature')) {
      closeUnread(req, res);
      next(new IntakeError('SIGNATURE_INVALID', 'X-Twilio-Signature is missing; only Twilio may call this URL.'));
      return;
    }
    next();
  };
  const bodyTimeout: RequestHandler = (req, _res, next) => {
    const timer = setTimeout(() => {
      if (!req.complete) req.socket.destroy();
    }, WEBHOOK_BODY_TIMEOUT_MS);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
    next();
  };
  const parser = express.urlencoded({ extended: false, limit: '64kb' });
  const parse: RequestHandler = (req, res, next) => {
    parser(req, res, (error?: unknown) => next(error === undefined ? undefined : bodyError(error)));
  };
  const verify = (req: Request, _res: Response, next: NextFunction): void => {
    if (!options.validateSignature) {
      next();
      return;
    }
    const signature = req.get('X-Twilio-Signature');
    const params = (req.body ?? {}) as Record<string, string>;
    if (!signature || !twilio.validateRequest(options.authToken, signature, signedUrl(options.publicUrl, req.originalUrl), params)) {
      next(new IntakeError('SIGNATURE_INVALID', 'X-Twilio-Signature is missing or does not match this request; only Twilio may call this URL.'));
      return;
    }
    next();
  };
  return [requireForm, bodyTimeout, parse, verify];
}

/**
 * body-parser's refusals as our codes, so that Twilio's debugger shows why: 413 for a body
 * over 64 KB or over 1,000 parameters (Twilio sends a few dozen), 415 for a charset or
 * encoding it cannot read, 400 for anything else it could not parse.
 */
function bodyError(error: unknown): unknown {
  const { type, status } = error as { type?: unknown; status?: unknown };
  if (type === 'entity.too.large' || type === 'parameters.too.many') {
    return new IntakeError('PAYLOAD_TOO_LARGE', 'A Twilio webhook body is at most 64 KB with at most 1,000 parameters; this one was not read.', { cause: error });
  }
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return new IntakeError('UNSUPPORTED_MEDIA_TYPE', `${(error as Error).message}; Twilio webhooks are UTF-8 form bodies.`, { cause: error });
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new IntakeError('INPUT_INVALID', `The webhook body could not be read: ${(error as Error).message}.`, { cause: error });
  }
  return error;
}
