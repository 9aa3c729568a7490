/**
 * A real SMTP server (the `smtp-server` package) for one test file: a free port on 127.0.0.1,
 * every accepted message captured with its envelope, headers and decoded text body. It can be
 * stopped and started again on the same port, to prove that mail waits out a relay outage.
 *
 * mailparser is not installed, so messages are parsed here just enough for assertions: headers
 * unfolded with RFC 2047 words decoded, and a single-part body decoded from quoted-printable
 * or base64 (what nodemailer sends for a text-only mail).
 */
import { SMTPServer } from 'smtp-server';
import { findFreePort } from '../../src/redis/free-port.js';

export interface CapturedMail {
  /** MAIL FROM and RCPT TO as the client gave them. */
  envelope: { from: string | null; to: string[] };
  /** How the session that sent it signed in (none: an open relay). */
  auth?: { method: string; user: string };
  /** Header values by lowercased name, unfolded and decoded; repeated headers keep every value. */
  headers: Map<string, string[]>;
  /** The first value of a header (case-insensitive name). */
  header(name: string): string | undefined;
  subject: string;
  text: string;
  raw: string;
}

export interface TestSmtpServer {
  port: number;
  host: string;
  /** Every message accepted so far, in order of arrival. */
  messages: CapturedMail[];
  running: boolean;
  /** Recipients answered `550 5.1.1` at RCPT TO (lowercased), to prove a permanent refusal is not retried. */
  rejectedRecipients: Set<string>;
  /** How long the server takes to accept a message once its data is in (a slow relay). */
  acceptDelayMs: number;
  /** Every sign-in attempt (AUTH), in order, and whether it was taken. */
  signIns: Array<{ method: string; user: string; accepted: boolean }>;
  /** Stops listening and drops open sessions; the port stays reserved for `start()`. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export interface SmtpServerOptions {
  /** Takes AUTH PLAIN / LOGIN with this password (any user). */
  password?: string;
  /** Takes AUTH XOAUTH2 with a token this says is good for the user (a token stand-in's accepts()). */
  acceptsToken?: (token: string, user: string) => boolean;
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const port = await findFreePort();
  const messages: CapturedMail[] = [];
  const rejectedRecipients = new Set<string>();
  const signIns: TestSmtpServer['signIns'] = [];
  let server: SMTPServer | undefined;

  const listen = async (): Promise<void> => {
    const instance = new SMTPServer({
      authOptional: true,
      authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
      // Plain-text AUTH without TLS: a test relay on 127.0.0.1.
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        const user = auth.username ?? '';
        if (auth.method === 'XOAUTH2') {
          const accepted = Boolean(options.acceptsToken && auth.accessToken && options.acceptsToken(auth.accessToken, user));
          signIns.push({ method: auth.method, user, accepted });
          // A refused token: the 334 challenge with the JSON error (as Gmail and Exchange answer), then 535.
          if (!accepted) return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://outlook.office365.com/.default' } });
          return callback(null, { user: { method: auth.method, user } });
        }
        const accepted = options.password !== undefined && auth.password === options.password;
        signIns.push({ method: auth.method, user, accepted });
        if (!accepted) return callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
        callback(null, { user: { method: auth.method, user } });
      },
      disabledCommands: ['STARTTLS'],
      // Sessions left open would hold stop() for the default 30 s.
      closeTimeout: 500,
      logger: false,
      onRcptTo(address, _session, callback) {
        if (!rejectedRecipients.has(address.address.toLowerCase())) return callback();
        callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
          const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
          // What onAuth gave as the session's user: how it signed in (false or unset: it did not).
          const auth = session.user ? (session.user as { method: string; user: string }) : undefined;
          setTimeout(() => {
            messages.push({ ...parseMessage(Buffer.concat(chunks).toString('utf8'), { from, to }), ...(auth ? { auth } : {}) });
            callback();
          }, api.acceptDelayMs);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      instance.once('error', reject);
      instance.listen(port, '127.0.0.1', () => {
        instance.off('error', reject);
        resolve();
      });
    });
    // A client dropping its connection is no test failure.
    instance.on('error', () => undefined);
    server = instance;
  };

  await listen();
  const api: TestSmtpServer = {
    port,
    host: '127.0.0.1',
    messages,
    rejectedRecipients,
    acceptDelayMs: 0,
    signIns,
    get running() {
      return server !== undefined;
    },
    async stop() {
      const instance = server;
      server = undefined;
      if (instance) await new Promise<void>((resolve) => instance.close(() => resolve()));
    },
    async start() {
      if (!server) await listen();
    },
  };
  return api;
}

/** Splits a raw RFC 5322 message into decoded headers and a decoded text body. */
export function parseMessage(raw: string, envelope: CapturedMail['envelope']): CapturedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = split >= 0 ? raw.slice(0, split) : raw;
  const body = split >= 0 ? raw.slice(split + 4) : '';
  const headers = new Map<string, string[]>();
  for (const line of head.replace(/\r\n([ \t])/g, '$1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = decodeWords(line.slice(colon + 1).trim());
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  const header = (name: string): string | undefined => headers.get(name.toLowerCase())?.[0];
  const encoding = (header('content-transfer-encoding') ?? '7bit').toLowerCase();
  let text: string;
  if (encoding === 'quoted-printable') text = decodeQuotedPrintable(body);
  else if (encoding === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else text = body;
  return { envelope, headers, header, subject: header('subject') ?? '', text: text.replace(/\r\n/g, '\n').replace(/\n$/, ''), raw };
}

/** RFC 2047: `=?UTF-8?Q?Zg=C5=82oszenie?=`; bytes of adjacent words are joined before decoding (a letter may be split). */
function decodeWords(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  let out = '';
  let last = 0;
  let pending: Buffer[] = [];
  const flush = (): void => {
    if (pending.length > 0) out += Buffer.concat(pending).toString('utf8');
    pending = [];
  };
  for (let match = word.exec(value); match; match = word.exec(value)) {
    const between = value.slice(last, match.index);
    // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
    if (pending.length === 0 || between.trim() !== '') {
      flush();
      out += between;
    }
    const [, , kind, data = ''] = match;
    pending.push(kind?.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : qBytes(data.replace(/_/g, ' ')));
    last = match.index + match[0].length;
  }
  flush();
  return out + value.slice(last);
}

function decodeQuotedPrintable(body: string): string {
  return qBytes(body.replace(/=\r?\n/g, '')).toString('utf8');
}

function qBytes(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}
