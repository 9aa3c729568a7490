/**
 * The Twilio voice webhooks, mounted at `/twilio`:
 *
 * | route | Twilio calls it |
 * |---|---|
 * | `POST /voice`, `/escalation` | a call comes in on the hotline / the escalation line |
 * | `POST /voice/step`, `/escalation/step` | a <Gather> ended (Digits, SpeechResult) or timed out (`?noInput=1`) |
 * | `POST /voice/recorded`, `/escalation/recorded` | a <Record> ended (RecordingUrl) |
 * | `POST /status` | the call's status callback (completed, no-answer, busy, failed, canceled) |
 * | `POST /fallback`, `/fallback/recorded` | the number's fallback URL, when the main webhook failed |
 * | `GET /` | not Twilio: the URLs for the Twilio console and the public URL signatures are checked against |
 *
 * Each reads Twilio's fields and hands them to PhoneCalls (phone-calls.ts), which loads the
 * call's session, lets the pure flow decide, files and saves; the route answers TwiML. Filing
 * goes through submit() (by way of CallFiler, since several webhooks of one call may file it);
 * when Redis is down the draft is spooled to disk and the caller is told the request is being
 * registered. Any fault answers the fallback TwiML rather than an error page, which Twilio
 * would read to the caller as "an application error has occurred".
 *
 * The one exception is a webhook that names no call: a missing, repeated or malformed CallSid
 * (or CallStatus on the status callback) is answered 400 INPUT_INVALID before any state is
 * touched, since there is no session to load and no source key to file under. The other fields
 * are read through webhook-fields.ts, which bounds or drops what no real call sends.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { RequestReader } from '../../intake/request-reader.js';
import type { ServiceCalendar } from '../../domain/calendar.js';
import type { ContractRegistry } from '../../domain/contracts.js';
import { isIntakeError } from '../../errors.js';
import type { Intake } from '../../intake/intake.js';
import type { Logger } from '../../logger.js';
import type { Settings } from '../../settings.js';
import { CallFiler } from './call-filer.js';
import type { CallInput, Line } from './call-flow.js';
import { CallSessions } from './call-session.js';
import { PhoneCalls, type CallAnswer, type CallFacts } from './phone-calls.js';
import { defaultSpoolDir, PhoneSpool } from './phone-spool.js';
import { twilioSetup, twilioWebhook } from './signature.js';
import { renderFallback, renderGoodbye, renderReply } from './twiml.js';
import { callDurationMsOf, callerIdOf, callSidOf, callStatusOf, digitsOf, recordingUrlOf, speechOf } from './webhook-fields.js';

/** What the phone channel needs from the gateway. */
export interface PhoneDeps {
  intake: Intake;
  /** The registry in force now (it reloads without restart). */
  registry: () => ContractRegistry;
  calendar: ServiceCalendar;
  store: RequestReader;
  redis: Redis;
  settings: Readonly<Settings>;
  logger: Logger;
  /** For tests: the clock of call start and of "today / tomorrow" in what the caller hears. */
  now?: () => number;
  /** How often spooled drafts are retried while Redis is down (default 2 s). */
  spoolRetryMs?: number;
  /** Where drafts wait while Redis is down (default `<attachments.dir>/../phone-spool`). */
  spoolDir?: string;
}

/** The channel: its router and the spool that outlives a Redis outage. */
export interface PhoneChannel {
  router: Router;
  spool: PhoneSpool;
  /** Starts retrying spooled drafts (also those left by a previous run). */
  start(): void;
  /** Stops retrying within `graceMs`; spooled drafts stay on disk for the next start. */
  close(graceMs?: number): Promise<void>;
}

/** The phone channel; mount `router` at `/twilio`, call `start()` once listening and `close()` on shutdown. */
export function createPhoneChannel(deps: PhoneDeps): PhoneChannel {
  const now = deps.now ?? Date.now;
  const { settings, logger } = deps;
  const sessions = new CallSessions({ redis: deps.redis, prefix: settings.intake.prefix, ttlSeconds: settings.phone.sessionTtlSeconds, logger, now });
  const filer = new CallFiler({ intake: deps.intake, prefix: settings.intake.prefix });
  const spool = new PhoneSpool({
    dir: deps.spoolDir ?? defaultSpoolDir(settings),
    filer,
    logger,
    retryMs: deps.spoolRetryMs ?? 2_000,
  });
  const calls = new PhoneCalls({ sessions, filer, spool, registry: deps.registry, calendar: deps.calendar, store: deps.store, settings, logger, now });
  return { router: phoneRouter(calls, settings, logger), spool, start: () => spool.start(), close: (graceMs) => spool.stop(graceMs) };
}

/** The webhooks: each reads Twilio's fields, makes one call on `calls`, and answers TwiML. */
function phoneRouter(calls: PhoneCalls, settings: Readonly<Settings>, logger: Logger): Router {
  const router = Router();
  // Not a webhook, so before the signature check: see TwilioSetup.
  router.get('/', (req, res) => {
    res.json(twilioSetup(settings.http.publicUrl, req.baseUrl));
  });
  router.use(twilioWebhook({ authToken: settings.twilio.authToken, publicUrl: settings.http.publicUrl, validateSignature: settings.phone.validateSignature }));

  const send = (res: Response, twiml: string): void => {
    res.type('text/xml').send(twiml);
  };
  const urlsOf = (req: Request, line: Line) => {
    const base = `${req.baseUrl}/${line === 'hotline' ? 'voice' : 'escalation'}`;
    return { step: `${base}/step`, recorded: `${base}/recorded` };
  };
  const answer = (req: Request, res: Response, what: CallAnswer): void => {
    if (what.kind === 'goodbye') send(res, renderGoodbye(what.language, settings.phone));
    else send(res, renderReply(what.reply, what.session.language, urlsOf(req, what.session.line), settings.phone));
  };
  /**
   * Every handler gets a well-formed CallSid or the webhook is refused (400). After that, a fault
   * answers the fallback TwiML (never a JSON error to a caller) — except a malformed field the
   * handler itself refuses (INPUT_INVALID), which no fallback could make right either.
   */
  const guarded = (handler: (req: Request, res: Response, call: CallFacts) => Promise<void>) => async (req: Request, res: Response, next: NextFunction) => {
    let call: CallFacts;
    try {
      call = { callSid: callSidOf(req), from: callerIdOf(req, 'From'), to: callerIdOf(req, 'To') };
    } catch (error) {
      next(error);
      return;
    }
    try {
      await handler(req, res, call);
    } catch (error) {
      if (isIntakeError(error) && error.code === 'INPUT_INVALID') {
        next(error);
        return;
      }
      logger.error({ err: error, callSid: call.callSid }, 'phone webhook failed; answering the fallback');
      send(res, renderFallback(`${req.baseUrl}/fallback/recorded`, settings.phone));
    }
  };

  for (const line of ['hotline', 'escalation'] as const) {
    const base = line === 'hotline' ? '/voice' : '/escalation';
    router.post(base, guarded(async (req, res, call) => {
      answer(req, res, await calls.incoming(call, line));
    }));
    router.post(`${base}/step`, guarded(async (req, res, call) => {
      const input: CallInput = {};
      // Repeated Digits (an array) count as no answer: the caller is asked again.
      const digits = digitsOf(req);
      const speech = speechOf(req);
      if (digits !== undefined) input.digits = digits;
      if (speech !== undefined) input.speech = speech;
      if (req.query.noInput === '1' && input.digits === undefined && input.speech === undefined) input.timedOut = true;
      answer(req, res, await calls.step(call, line, input));
    }));
    router.post(`${base}/recorded`, guarded(async (req, res, call) => {
      answer(req, res, await calls.recorded(call, line, recordingUrlOf(req)));
    }));
  }

  router.post('/status', guarded(async (req, res, call) => {
    await calls.statusChanged(call, callStatusOf(req), callDurationMsOf(req));
    res.status(204).end();
  }));

  // Static TwiML and no state: Twilio's last resort apologises whatever the webhook carries.
  router.post('/fallback', (req, res) => {
    send(res, renderFallback(`${req.baseUrl}/fallback/recorded`, settings.phone));
  });
  router.post('/fallback/recorded', guarded(async (req, res, call) => {
    answer(req, res, await calls.recorded(call, 'hotline', recordingUrlOf(req)));
  }));
  return router;
}

/** The router alone (the spool retries in the background with an unref'd timer); prefer createPhoneChannel to stop it. */
export function phoneRoutes(deps: PhoneDeps): Router {
  const channel = createPhoneChannel(deps);
  channel.start();
  return channel.router;
}
