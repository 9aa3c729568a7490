/**
 * A local stand-in for Twilio's Messages API (Twilio cannot be reached from the test machines):
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP Basic auth with the
 * account SID and auth token; and `DELETE .../Recordings/{RecordingSid}.json` (204, or 404 for a
 * recording deleted before). It answers like Twilio — 201 with a message resource, 401/404/400
 * with Twilio's error shape — records every request, and can be told to fail with 500.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TwilioApiRequest {
  method: string;
  path: string;
  /** From the Authorization header; null when absent or not Basic. */
  auth: { user: string; password: string } | null;
  contentType: string | undefined;
  /** The form fields (To, From, Body...). */
  form: Record<string, string>;
}

export interface TwilioMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
}

export interface TwilioApiStandIn {
  /** Base URL to put in `twilio.apiBaseUrl`. */
  url: string;
  accountSid: string;
  authToken: string;
  /** Every request received, including refused and failed ones. */
  requests: TwilioApiRequest[];
  /** Messages accepted (answered 201). */
  messages: TwilioMessage[];
  /** Recording SIDs deleted (answered 204), in order. */
  deletedRecordings: string[];
  /** The next `count` message (or recording deletion) requests answer 500. */
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startTwilioApi(options: { accountSid?: string; authToken?: string } = {}): Promise<TwilioApiStandIn> {
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const requests: TwilioApiRequest[] = [];
  const messages: TwilioMessage[] = [];
  const deletedRecordings: string[] = [];
  let failures = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const record: TwilioApiRequest = {
        method: req.method ?? '',
        path,
        auth: basicAuth(req.headers.authorization),
        contentType: req.headers['content-type'],
        form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
      };
      requests.push(record);
      const recording = /^\/2010-04-01\/Accounts\/([^/]+)\/Recordings\/(RE[A-Za-z0-9]+)\.json$/.exec(path);
      if (req.method === 'DELETE' && recording) {
        if (!record.auth || record.auth.user !== accountSid || record.auth.password !== authToken || recording[1] !== accountSid) return answerError(res, 401, 20003, 'Authenticate');
        if (failures > 0) {
          failures--;
          return answerError(res, 500, 20500, 'Internal Server Error');
        }
        if (deletedRecordings.includes(recording[2] as string)) return answerError(res, 404, 20404, 'The requested resource was not found');
        deletedRecordings.push(recording[2] as string);
        res.writeHead(204).end();
        return;
      }
      const route = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
      if (req.method !== 'POST' || !route) return answerError(res, 404, 20404, 'The requested resource was not found');
      if (!record.auth || record.auth.user !== accountSid || record.auth.password !== authToken || route[1] !== accountSid) {
        return answerError(res, 401, 20003, 'Authenticate');
      }
      if (failures > 0) {
        failures--;
        return answerError(res, 500, 20500, 'Internal Server Error');
      }
      const { To: to, From: from, Body: body } = record.form;
      if (!to || !from || !body) return answerError(res, 400, 21604, "A 'To', 'From' and 'Body' parameter is required.");
      const sid = `SM${randomBytes(16).toString('hex')}`;
      messages.push({ sid, from, to, body });
      const now = new Date().toUTCString().replace('GMT', '+0000');
      const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
      answer(res, 201, {
        account_sid: accountSid,
        api_version: '2010-04-01',
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from,
        messaging_service_sid: null,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        sid,
        status: 'queued',
        subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
        to,
        uri,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    requests,
    messages,
    deletedRecordings,
    failNext(count) {
      failures = count;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function basicAuth(header: string | undefined): TwilioApiRequest['auth'] {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function answer(res: http.ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function answerError(res: http.ServerResponse, status: number, code: number, message: string): void {
  answer(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}
