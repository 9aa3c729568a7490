/**
 * Drives a whole call through the IVR in-process with supertest, exactly as Twilio would:
 * form-encoded webhooks signed with the twilio package's `getExpectedTwilioSignature` over the
 * PUBLIC URL (not the address supertest talks to — that is the proxy case), following each
 * answer's <Gather>, <Redirect> and <Record>, with the TwiML parsed at every step.
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import twilio from 'twilio';
import { readTwiml, spokenText, type TwimlVerb } from '../../src/channels/phone/twiml-reader.js';

export interface CallOptions {
  authToken: string;
  publicUrl: string;
  line?: 'hotline' | 'escalation';
  from: string;
  to?: string;
  callSid?: string;
}

/** Signs and posts one webhook; the response as supertest gives it. */
export function signedPost(app: Express, options: { authToken: string; publicUrl: string }, path: string, params: Record<string, string>) {
  const signature = twilio.getExpectedTwilioSignature(options.authToken, `${options.publicUrl}${path}`, params);
  return request(app).post(path).type('form').set('X-Twilio-Signature', signature).send(params);
}

export class TwilioCall {
  readonly callSid: string;
  /** The verbs of the last answer. */
  verbs: TwimlVerb[] = [];
  /** Every text said so far, in order. */
  readonly transcript: string[] = [];
  private path: string;

  constructor(
    private readonly app: Express,
    private readonly options: CallOptions,
  ) {
    this.callSid = options.callSid ?? `CA${randomBytes(16).toString('hex')}`;
    this.path = options.line === 'escalation' ? '/twilio/escalation' : '/twilio/voice';
  }

  /** The call comes in. */
  async start(): Promise<this> {
    return this.post(this.path, { CallStatus: 'ringing' });
  }

  /** What the last answer says, joined. */
  get said(): string {
    return spokenText(this.verbs).join(' ');
  }

  /** The last answer's <Gather>, if any. */
  get gather(): TwimlVerb | undefined {
    return this.verbs.find((verb) => verb.name === 'Gather');
  }

  /** Keys pressed at the current <Gather> (Twilio leaves out the finishing #). */
  async press(digits: string): Promise<this> {
    return this.post(this.action('Gather'), { CallStatus: 'in-progress', Digits: digits });
  }

  /** Speech recognised at the current <Gather>. */
  async speak(text: string): Promise<this> {
    const gather = this.gather;
    if (!gather?.attributes.input?.includes('speech')) throw new Error(`this <Gather> takes no speech: ${JSON.stringify(gather?.attributes)}`);
    return this.post(this.action('Gather'), { CallStatus: 'in-progress', SpeechResult: text, Confidence: '0.91' });
  }

  /** No input: Twilio follows the <Redirect> after the <Gather>. */
  async silence(): Promise<this> {
    const redirect = this.verbs.find((verb) => verb.name === 'Redirect');
    if (!redirect) throw new Error(`no <Redirect> to follow after silence: ${this.said}`);
    return this.post(redirect.text.trim(), { CallStatus: 'in-progress' });
  }

  /** A message recorded at the current <Record>. */
  async record(recordingUrl: string): Promise<this> {
    return this.post(this.action('Record'), { CallStatus: 'in-progress', RecordingUrl: recordingUrl, RecordingDuration: '7' });
  }

  /** The status callback Twilio sends when the call ends. */
  async hangUp(callStatus = 'completed'): Promise<number> {
    const response = await signedPost(this.app, this.options, '/twilio/status', { ...this.params(), CallStatus: callStatus, CallDuration: '42' });
    return response.status;
  }

  private action(verbName: 'Gather' | 'Record'): string {
    const verb = this.verbs.find((v) => v.name === verbName);
    if (!verb) throw new Error(`no <${verbName}> in the last answer: ${this.said}`);
    return verb.attributes.action ?? this.path;
  }

  private params(): Record<string, string> {
    return {
      CallSid: this.callSid,
      AccountSid: 'ACtest',
      From: this.options.from,
      To: this.options.to ?? (this.options.line === 'escalation' ? '+48122525502' : '+48122525600'),
      Direction: 'inbound',
    };
  }

  private async post(path: string, extra: Record<string, string>): Promise<this> {
    const response = await signedPost(this.app, this.options, path, { ...this.params(), ...extra });
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${response.text}`);
    if (!/xml/.test(String(response.headers['content-type']))) throw new Error(`${path} answered ${response.headers['content-type']}`);
    this.path = path.split('?')[0] as string;
    this.verbs = readTwiml(response.text);
    this.transcript.push(...spokenText(this.verbs));
    return this;
  }
}
