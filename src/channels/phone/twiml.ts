/**
 * Renders a flow `Reply` as TwiML with the twilio package's VoiceResponse: <Say> in the call's
 * voice and language, <Gather> for keys, digits or speech, <Record> for a message, and a
 * <Redirect> after each <Gather> so that silence comes back to us as "no input" instead of
 * ending the call (Twilio goes on to the next verb when a Gather times out).
 */
import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse.js';
import type { Settings } from '../../settings.js';
import type { Reply } from './call-flow.js';
import { promptsFor, type CallLanguage } from './prompts.js';

/** Where the answers to a reply go: the line's step and recording routes (paths as Twilio should call them). */
export interface ReplyUrls {
  step: string;
  recorded: string;
}

/** A Polly voice name from settings; TwiML accepts any Twilio voice name. */
type Voice = VoiceResponse.SayAttributes['voice'];

function sayAttributes(language: CallLanguage, phone: Settings['phone']): VoiceResponse.SayAttributes {
  return language === 'en' ? { voice: phone.voiceEn as Voice, language: 'en-US' } : { voice: phone.voicePl as Voice, language: 'pl-PL' };
}

/** The TwiML document of a reply. */
export function renderReply(reply: Reply, language: CallLanguage, urls: ReplyUrls, phone: Settings['phone']): string {
  const response = new twilio.twiml.VoiceResponse();
  const voice = sayAttributes(language, phone);
  if (reply.ask) {
    const { kind, timeoutSeconds } = reply.ask;
    const gather = response.gather({
      action: urls.step,
      method: 'POST',
      timeout: timeoutSeconds,
      ...(kind === 'key' ? { numDigits: 1, input: ['dtmf'] } : { finishOnKey: '#', input: kind === 'serial' ? ['dtmf', 'speech'] : ['dtmf'] }),
      ...(kind === 'serial' ? { language: language === 'en' ? 'en-US' : 'pl-PL', speechTimeout: 'auto' } : {}),
    });
    for (const text of reply.say) gather.say(voice, text);
    response.redirect({ method: 'POST' }, `${urls.step}?noInput=1`);
    return response.toString();
  }
  for (const text of reply.say) response.say(voice, text);
  if (reply.record) {
    response.record({ action: urls.recorded, method: 'POST', maxLength: 120, finishOnKey: '#', playBeep: true });
  }
  if (reply.hangup) response.hangup();
  return response.toString();
}

/**
 * The fallback URL's answer (Twilio calls it when our main webhook fails or times out): static
 * TwiML, an apology in both languages and a recorded message, filed by the fallback's own
 * recording route when it can be.
 */
export function renderFallback(recordedUrl: string, phone: Settings['phone']): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(sayAttributes('pl', phone), promptsFor('pl').apology);
  response.say(sayAttributes('en', phone), promptsFor('en').apology);
  response.record({ action: recordedUrl, method: 'POST', maxLength: 120, finishOnKey: '#', playBeep: true });
  response.hangup();
  return response.toString();
}

/** A goodbye in the call's language, ending the call. */
export function renderGoodbye(language: CallLanguage, phone: Settings['phone']): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(sayAttributes(language, phone), promptsFor(language).goodbye);
  response.hangup();
  return response.toString();
}
