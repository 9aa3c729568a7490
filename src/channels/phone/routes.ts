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
 * Each loads the call's session, lets the pure flow decide, saves, and answers TwiML. Filing
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
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { RequestReader } from '../../intake/request-reader.js';
import type { ServiceCalendar } from '../../domain/calendar.js';
import type { ContractRegistry } from '../../domain/contracts.js';
import type { IntakeDraft } from '../../domain/request.js';
import { requestNumberFromKeypad } from '../../domain/request-number.js';
import { isIntakeError } from '../../errors.js';
import type { Intake, SubmitResult } from '../../intake/submit.js';
import type { Logger } from '../../logger.js';
import type { Settings } from '../../settings.js';
import { withTimeout } from '../../util/timeouts.js';
import { CallFiler } from './call-filer.js';
import { closingReply, draftForCall, registeringReply, type Unfinished } from './call-closing.js';
import { advance, startCall, type CallInput, type CallSession, type Filing, type Line, type Reply } from './call-flow.js';
import { CallSessions } from './call-session.js';
import { PhoneSpool } from './phone-spool.js';
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

const ENDED_STATUSES = new Set(['completed', 'no-answer', 'busy', 'failed', 'canceled']);

/** The phone channel; mount `router` at `/twilio`, call `start()` once listening and `close()` on shutdown. */
export function createPhoneChannel(deps: PhoneDeps): PhoneChannel {
  const now = deps.now ?? Date.now;
  const { settings, logger } = deps;
  const sessions = new CallSessions({ redis: deps.redis, prefix: settings.intake.prefix, ttlSeconds: settings.phone.sessionTtlSeconds, logger, now });
  const filer = new CallFiler({ intake: deps.intake, prefix: settings.intake.prefix });
  const spool = new PhoneSpool({
    dir: deps.spoolDir ?? path.join(path.dirname(settings.attachments.dir), 'phone-spool'),
    filer,
    logger,
    retryMs: deps.spoolRetryMs ?? 2_000,
  });
  const smsConfirmation = settings.twilio.accountSid !== '' && settings.twilio.smsFrom !== '';
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
  const reply = (req: Request, res: Response, session: CallSession, answer: Reply): void => {
    send(res, renderReply(answer, session.language, urlsOf(req, session.line), settings.phone));
  };
  /**
   * Every handler gets a well-formed CallSid or the webhook is refused (400). After that, a fault
   * answers the fallback TwiML (never a JSON error to a caller) — except a malformed field the
   * handler itself refuses (INPUT_INVALID), which no fallback could make right either.
   */
  const guarded = (handler: (req: Request, res: Response, callSid: string) => Promise<void>) => async (req: Request, res: Response, next: NextFunction) => {
    let callSid: string;
    try {
      callSid = callSidOf(req);
    } catch (error) {
      next(error);
      return;
    }
    try {
      await handler(req, res, callSid);
    } catch (error) {
      if (isIntakeError(error) && error.code === 'INPUT_INVALID') {
        next(error);
        return;
      }
      logger.error({ err: error, callSid }, 'phone webhook failed; answering the fallback');
      send(res, renderFallback(`${req.baseUrl}/fallback/recorded`, settings.phone));
    }
  };

  const begin = (req: Request, callSid: string, line: Line): { session: CallSession; reply: Reply } =>
    startCall({ callSid, line, from: callerIdOf(req, 'From'), to: callerIdOf(req, 'To'), startedAt: new Date(now()).toISOString() });

  /** Files a call's draft; undefined when Redis is down and the draft was spooled instead. */
  const fileOrSpool = async (draft: IntakeDraft): Promise<SubmitResult | undefined> => {
    try {
      return await filer.file(draft);
    } catch (error) {
      if (!isIntakeError(error) || !error.retryable) throw error;
      // A draft of the call already spooled by a racing webhook counts too: that one is filed.
      await spool.save(draft);
      return undefined;
    }
  };

  /** Files the call: submit, or spool when Redis is down. Returns the closing reply. */
  const file = async (session: CallSession, filing: Filing | Unfinished, prefix: string[]): Promise<Reply> => {
    const result = await fileOrSpool(draftForCall(session, filing));
    if (!result) {
      session.finished = 'spooled';
      const registering = registeringReply(session, smsConfirmation, prefix);
      session.closing = registering.say;
      return registering;
    }
    session.finished = 'filed';
    session.requestNumber = result.requestNumber;
    logger.info({ callSid: session.callSid, requestNumber: result.requestNumber, filing: typeof filing === 'object' ? filing.reason : filing }, 'call filed');
    if (typeof filing === 'object') return { say: [] };
    const closing = closingReply(session, filing, result, { registry: deps.registry(), calendar: deps.calendar, now: now(), smsConfirmation }, prefix);
    session.closing = closing.say;
    return closing;
  };

  for (const line of ['hotline', 'escalation'] as const) {
    const base = line === 'hotline' ? '/voice' : '/escalation';

    router.post(base, guarded(async (req, res, callSid) => {
      const existing = await sessions.get(callSid);
      const started = begin(req, callSid, line);
      // A repeated first webhook (Twilio retried it) keeps the call's original start.
      const session = existing ? { ...started.session, startedAt: existing.startedAt } : started.session;
      await sessions.save(session);
      reply(req, res, session, started.reply);
    }));

    router.post(`${base}/step`, guarded(async (req, res, callSid) => {
      let session = await sessions.get(callSid);
      if (!session) {
        // The session expired or was never saved: start over rather than drop the caller.
        const started = begin(req, callSid, line);
        await sessions.save(started.session);
        reply(req, res, started.session, started.reply);
        return;
      }
      if (session.finished) {
        if (session.closing) reply(req, res, session, { say: session.closing, hangup: true });
        else send(res, renderGoodbye(session.language, settings.phone));
        return;
      }
      const input: CallInput = {};
      // Repeated Digits (an array) count as no answer: the caller is asked again.
      const digits = digitsOf(req);
      const speech = speechOf(req);
      if (digits !== undefined) input.digits = digits;
      if (speech !== undefined) input.speech = speech;
      if (req.query.noInput === '1' && input.digits === undefined && input.speech === undefined) input.timedOut = true;
      const escalationRequestKnown = await knownRequest(deps.store, session, input);
      const transition = advance(session, input, { registry: deps.registry(), maxFailures: settings.phone.maxFailures, escalationRequestKnown });
      session = transition.session;
      const answer = transition.file ? await file(session, transition.file, transition.prefix) : transition.reply;
      await sessions.save(session);
      reply(req, res, session, answer);
    }));

    router.post(`${base}/recorded`, guarded(async (req, res, callSid) => {
      const session = (await sessions.get(callSid)) ?? { ...begin(req, callSid, line).session, step: 'record' as const };
      await recorded(req, res, session);
    }));
  }

  const recorded = async (req: Request, res: Response, current: CallSession): Promise<void> => {
    if (current.finished) {
      const recordingUrl = recordingUrlOf(req);
      if (recordingUrl && recordingUrl !== current.recordingUrl) {
        // The status callback outran the <Record> action and filed (or spooled) the call without
        // the message. Filed as the call's draft, it is attached to that request (CallFiler) — or,
        // while the call's spooled draft still waits for Redis, filed as it — rather than lost.
        const session = { ...current, recordingUrl };
        await fileOrSpool(draftForCall(session, 'recording'));
        // A retried <Record> action then finds its recording kept.
        await sessions.save(session);
      }
      send(res, renderGoodbye(current.language, settings.phone));
      return;
    }
    const transition = advance({ ...current, step: 'record' }, { recordingUrl: recordingUrlOf(req) }, { registry: deps.registry(), maxFailures: settings.phone.maxFailures });
    const session = transition.session;
    const answer = transition.file ? await file(session, transition.file, transition.prefix) : transition.reply;
    await sessions.save(session);
    reply(req, res, session, answer);
  };

  router.post('/status', guarded(async (req, res, callSid) => {
    const callStatus = callStatusOf(req);
    const session = ENDED_STATUSES.has(callStatus) ? await sessions.get(callSid) : undefined;
    if (ENDED_STATUSES.has(callStatus) && !session?.finished) {
      // Never reached the IVR (busy, failed) or hung up mid-way: a needs-info request for a call-back.
      const durationMs = callDurationMsOf(req);
      const line = callerIdOf(req, 'To') === settings.phone.escalationNumber ? 'escalation' : 'hotline';
      const unfinished = session ?? { ...begin(req, callSid, line).session, startedAt: new Date(now() - durationMs).toISOString() };
      await file(unfinished, { reason: 'hang-up', callStatus }, []);
      await sessions.save(unfinished);
    }
    res.status(204).end();
  }));

  // Static TwiML and no state: Twilio's last resort apologises whatever the webhook carries.
  router.post('/fallback', (req, res) => {
    send(res, renderFallback(`${req.baseUrl}/fallback/recorded`, settings.phone));
  });
  router.post('/fallback/recorded', guarded(async (req, res, callSid) => {
    const session = (await sessions.get(callSid)) ?? { ...begin(req, callSid, 'hotline').session, step: 'record' as const };
    await recorded(req, res, session);
  }));

  return {
    router,
    spool,
    start: () => spool.start(),
    close: (graceMs) => spool.stop(graceMs),
  };
}

/** The router alone (the spool retries in the background with an unref'd timer); prefer createPhoneChannel to stop it. */
export function phoneRoutes(deps: PhoneDeps): Router {
  const channel = createPhoneChannel(deps);
  channel.start();
  return channel.router;
}

/** On the escalation line, whether a typed request number exists; undefined when it cannot be told. */
async function knownRequest(store: RequestReader, session: CallSession, input: CallInput): Promise<boolean | undefined> {
  const number = requestNumberFromKeypad((input.digits ?? '').replace(/\D/g, ''));
  if (session.step !== 'escalation-number' || number === null) return undefined;
  try {
    const found = store.get(number).then((request) => request !== null);
    return await withTimeout(found, 500, () => undefined);
  } catch {
    // Redis is down: do not refuse the number; the escalation is spooled and attached later.
    return undefined;
  }
}
