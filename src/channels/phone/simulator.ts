/**
 * The terminal call simulator, `hezo-intake call`: walks the running IVR as Twilio would —
 * signed form-encoded webhooks, following <Gather>, <Redirect>, <Record> and <Hangup> — prints
 * what the caller would hear, and reads keypad digits or typed speech line by line. At the
 * end (or when input ends: the caller hung up) it sends the status callback, as Twilio does.
 *
 * It signs for the public URL the gateway checks signatures against, which it asks the gateway
 * for (`GET /twilio`): the simulator may run with other settings than the gateway (PUBLIC_URL
 * set in the gateway's terminal only), and signing for the URL it calls would be wrong behind a
 * proxy. The auth token is a secret the gateway does not tell: it comes from the settings here
 * (twilio.authToken, empty on the embedded default). The core, `simulateCall`, takes its input
 * lines and output stream as arguments: tests drive it without a terminal.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import twilio from 'twilio';
import { IntakeError } from '../../errors.js';
import { loadSettings } from '../../settings-loader.js';
import type { Line } from './call-flow.js';
import { signedUrl, type TwilioSetup } from './signature.js';
import { readTwiml, type TwimlVerb } from './twiml-reader.js';

export interface SimulatorOptions {
  /** Where the gateway listens, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** settings.http.publicUrl: the URL Twilio would call, hence the one signed. */
  publicUrl: string;
  authToken: string;
  line: Line;
  from: string;
  to: string;
  callSid?: string;
  /** The next line the caller types; null when input ends (the caller hangs up). */
  input: () => Promise<string | null>;
  output: NodeJS.WritableStream;
}

/** How a simulated call went. */
export interface SimulatedCall {
  callSid: string;
  /** Everything said, in order. */
  said: string[];
  /** The request number read out, if one was (`HZ-2026-000123`). */
  requestNumber?: string;
  /** `ivr`: the IVR hung up; `caller`: input ended first. */
  endedBy: 'ivr' | 'caller';
}

/** Reads `H Z, 2 0 2 6, 0 0 0 1 2 3` back into `HZ-2026-000123`. */
export function requestNumberIn(text: string): string | undefined {
  const match = /H Z, (\d(?: \d){3}), (\d(?: \d){5})/.exec(text);
  return match ? `HZ-${(match[1] as string).replace(/ /g, '')}-${(match[2] as string).replace(/ /g, '')}` : undefined;
}

/** Walks one call through the IVR. */
export async function simulateCall(options: SimulatorOptions): Promise<SimulatedCall> {
  const callSid = options.callSid ?? `CA${randomBytes(16).toString('hex')}`;
  const started = Date.now();
  const said: string[] = [];
  const out = (text: string): void => {
    options.output.write(text);
  };
  const call = { CallSid: callSid, AccountSid: 'ACsimulator', From: options.from, To: options.to, Direction: 'inbound', ApiVersion: '2010-04-01' };

  const post = async (pathAndQuery: string, params: Record<string, string>): Promise<string> => {
    const body = { ...call, ...params };
    const signature = twilio.getExpectedTwilioSignature(options.authToken, signedUrl(options.publicUrl, pathAndQuery), body);
    const response = await fetch(`${options.baseUrl.replace(/\/+$/, '')}${pathAndQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(body).toString(),
    });
    const text = await response.text();
    if (response.status === 403) {
      throw new IntakeError(
        'SIGNATURE_INVALID',
        `The IVR refused the signature of ${pathAndQuery} (HTTP 403): the gateway checks for its own public URL and twilio.authToken; this call signed for ${options.publicUrl} with the auth token of the settings here (set TWILIO_AUTH_TOKEN as the gateway has it).`,
      );
    }
    if (!response.ok) throw new IntakeError('INTERNAL', `The IVR answered ${pathAndQuery} with HTTP ${response.status}: ${text.slice(0, 300)}`);
    return text;
  };
  const say = (verb: TwimlVerb): void => {
    const text = verb.text.trim();
    said.push(text);
    out(`  IVR: ${text}\n`);
  };

  let current = options.line === 'hotline' ? '/twilio/voice' : '/twilio/escalation';
  let verbs = readTwiml(await post(current, { CallStatus: 'ringing' }));
  let endedBy: SimulatedCall['endedBy'] = 'ivr';

  walk: for (;;) {
    let next: { path: string; params: Record<string, string> } | undefined;
    for (const verb of verbs) {
      if (verb.name === 'Say') say(verb);
      else if (verb.name === 'Gather') {
        for (const child of verb.children) if (child.name === 'Say') say(child);
        const speech = (verb.attributes.input ?? 'dtmf').includes('speech');
        out(speech ? '  [keys, then Enter — or type what you would say; empty line = silence]\n> ' : '  [keys, then Enter; empty line = silence]\n> ');
        const typed = await options.input();
        if (typed === null) {
          endedBy = 'caller';
          break walk;
        }
        const answer = typed.trim();
        if (answer === '') continue; // silence: Twilio goes on to the next verb (our Redirect)
        const keys = /^[0-9*#\s]+$/.test(answer);
        const finishOnKey = verb.attributes.finishOnKey ?? '#';
        const params: Record<string, string> = keys
          ? { Digits: answer.replace(/\s/g, '').replace(new RegExp(`\\${finishOnKey}$`), '') }
          : speech
            ? { SpeechResult: answer, Confidence: '0.9' }
            : { Digits: answer.replace(/[^0-9*#]/g, '') };
        next = { path: resolve(current, verb.attributes.action ?? current), params: { CallStatus: 'in-progress', ...params } };
        break;
      } else if (verb.name === 'Record') {
        out('  [recording after the tone — type your message, Enter ends it]\n> ');
        const message = await options.input();
        const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/ACsimulator/Recordings/RE${randomBytes(16).toString('hex')}`;
        next = {
          path: resolve(current, verb.attributes.action ?? current),
          params: { CallStatus: message === null ? 'completed' : 'in-progress', RecordingUrl: recordingUrl, RecordingDuration: String(Math.max(1, Math.round((message ?? '').length / 12))) },
        };
        if (message === null) endedBy = 'caller';
        break;
      } else if (verb.name === 'Redirect') {
        next = { path: resolve(current, verb.text.trim()), params: { CallStatus: 'in-progress' } };
        break;
      } else if (verb.name === 'Hangup') {
        break walk;
      }
    }
    if (!next) break; // no more verbs: Twilio ends the call
    current = next.path;
    verbs = readTwiml(await post(current, next.params));
    if (endedBy === 'caller') break;
  }

  out(endedBy === 'caller' ? '  [you hung up]\n' : '  [the IVR hung up]\n');
  await post('/twilio/status', { CallStatus: 'completed', CallDuration: String(Math.round((Date.now() - started) / 1000)) });
  const requestNumber = said.map(requestNumberIn).find((n) => n !== undefined);
  return { callSid, said, endedBy, ...(requestNumber ? { requestNumber } : {}) };
}

/** A TwiML URL (absolute or relative to the current one) as path and query. */
function resolve(current: string, target: string): string {
  const url = new URL(target, `http://ivr${current}`);
  return `${url.pathname}${url.search}`;
}

/** `hezo-intake call [--line hotline|escalation] [--from +48...] [--url URL] [--public-url URL]`. */
export async function callCommand(args: string[], io: { stdout: NodeJS.WritableStream; stdin: NodeJS.ReadableStream }): Promise<number> {
  let values: { line?: string; from?: string; url?: string; 'public-url'?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { line: { type: 'string' }, from: { type: 'string' }, url: { type: 'string' }, 'public-url': { type: 'string' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new IntakeError('USAGE', (error as Error).message);
  }
  const line = values.line ?? 'hotline';
  if (line !== 'hotline' && line !== 'escalation') throw new IntakeError('USAGE', `--line must be hotline or escalation, not "${line}"`);
  const { settings } = loadSettings();
  const baseUrl = (values.url ?? `http://${settings.http.host === '0.0.0.0' ? '127.0.0.1' : settings.http.host}:${settings.http.port}`).replace(/\/+$/, '');
  for (const [flag, url] of [['--url', baseUrl], ['--public-url', values['public-url']]] as const) {
    if (url !== undefined && !URL.canParse(url)) throw new IntakeError('USAGE', `${flag} must be an absolute URL such as http://127.0.0.1:8080, not "${url}"`);
  }
  const to = line === 'hotline' ? settings.phone.hotlineNumber : settings.phone.escalationNumber;
  const from = values.from ?? '+48600100200';
  const signing = values['public-url'] !== undefined ? { publicUrl: values['public-url'], why: '--public-url' } : await publicUrlOf(baseUrl, settings.http.publicUrl);
  io.stdout.write(`Calling ${to} from ${from} through ${baseUrl}, signing for ${signing.publicUrl} (${signing.why}).\n`);

  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  try {
    const result = await simulateCall({
      baseUrl,
      publicUrl: signing.publicUrl,
      authToken: settings.twilio.authToken,
      line,
      from,
      to,
      input: async () => {
        const next = await iterator.next();
        const typed = next.done ? null : String(next.value);
        // Piped input is not echoed by a terminal; show it so the transcript reads as a dialogue.
        if (typed !== null && !(io.stdin as { isTTY?: boolean }).isTTY) io.stdout.write(`${typed}\n`);
        return typed;
      },
      output: io.stdout,
    });
    io.stdout.write(result.requestNumber ? `Request number: ${result.requestNumber}\n` : 'No request number was read out.\n');
    return 0;
  } catch (error) {
    if (error instanceof TypeError) throw unreachable(baseUrl, error);
    throw error;
  } finally {
    lines.close();
  }
}

/**
 * The public URL the gateway at `baseUrl` checks signatures against, as it says at GET /twilio;
 * the one in the settings here when it does not say (a proxy that forwards only POSTs).
 */
async function publicUrlOf(baseUrl: string, configured: string): Promise<{ publicUrl: string; why: string }> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/twilio`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw unreachable(baseUrl, error as Error);
  }
  const setup = response.ok ? ((await response.json().catch(() => undefined)) as Partial<TwilioSetup> | undefined) : undefined;
  if (typeof setup?.publicUrl === 'string' && URL.canParse(setup.publicUrl)) return { publicUrl: setup.publicUrl, why: "the gateway's public URL" };
  return { publicUrl: configured, why: `http.publicUrl of the settings here; the gateway did not say which it checks (HTTP ${response.status} at /twilio)` };
}

function unreachable(baseUrl: string, error: Error): IntakeError {
  return new IntakeError('INTERNAL', `Cannot reach the gateway at ${baseUrl} (${(error.cause as Error | undefined)?.message ?? error.message}); is "hezo-intake serve" running?`);
}
