/**
 * The ops page over HTTP on real servers: sign-in with CSRF and lock-out (also for sign-ins
 * sent at once), session cookie flags, the strict CSP, the JSON behind the page, attachment
 * downloads (and cancelled ones), the queue board behind the sign-in, `/metrics` content, and
 * masked logs.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft, ServiceRequest } from '../../src/domain/request.js';
import { createLogger } from '../../src/logger.js';
import { demoCredentials, engineerAccounts } from '../../src/ops/ops-page/index.js';
import { noAccountHash, sessionCookie } from '../../src/ops/ops-page/sign-in.js';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';

const PASSWORD = 'correct horse battery staple';
const logLines: string[] = [];
let ops: OpsApp;
let attachmentsDir: string;

beforeAll(async () => {
  attachmentsDir = mkdtempSync(path.join(os.tmpdir(), 'hezo-ops-attachments-'));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  ops = await startOpsApp({
    logger: createLogger('info', sink),
    overrides: {
      ops: {
        // piotr's hash is slow (cost 10) so that sign-ins sent at once overlap in the comparison.
        engineers: { ...testEngineer('ewa', PASSWORD), ...testEngineer('anna.nowak@example.pl', PASSWORD), ...testEngineer('piotr', PASSWORD, 'en', 10) },
        sessionTtlSeconds: 3600,
        lockoutAttempts: 3,
        lockoutSeconds: 600,
        cookieSecure: false,
        // This file signs in far more often than a person would: the limits have tests of their own.
        signInPerAddressPerMinute: 100_000,
        signInPerMinute: 100_000,
        passwordChecksAtOnce: 16,
      },
      attachments: { dir: attachmentsDir, maxBytes: 32_000_000 },
    },
  });
});
afterAll(async () => {
  await ops?.stop();
  rmSync(attachmentsDir, { recursive: true, force: true });
});

/** Cookie jar of one browser-less client. */
class Client {
  cookie = '';
  async fetch(pathname: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(`${ops.url}${pathname}`, { redirect: 'manual', ...init, headers: { ...(init.headers as Record<string, string>), cookie: this.cookie } });
    const set = response.headers.getSetCookie();
    for (const line of set) {
      const [pair] = line.split(';');
      if (pair) this.cookie = pair.endsWith('=') ? '' : pair;
    }
    return response;
  }
  /** Loads the sign-in form and returns its CSRF token. */
  async signInForm(): Promise<string> {
    const html = await (await this.fetch('/ops/sign-in?lang=en')).text();
    return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  }
  async signIn(login: string, password: string, csrf?: string): Promise<Response> {
    const token = csrf ?? (await this.signInForm());
    return this.fetch('/ops/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, login, password, language: 'en' }).toString(),
    });
  }
  /** The page's CSRF token (from the shell's meta tag). */
  async pageCsrf(): Promise<string> {
    const html = await (await this.fetch('/ops')).text();
    return /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
  }
}

function draft(overrides: Partial<IntakeDraft> = {}): IntakeDraft {
  return {
    channel: 'email',
    kind: 'service',
    sourceKey: `mail:<${randomUUID()}@example.pl>`,
    sentAt: new Date(ops.now() - 10 * 60_000).toISOString(),
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki',
    language: 'pl',
    ...overrides,
  };
}

/** Descriptors of this process (the gateway runs in it) open on files under `dir`. */
function openFilesUnder(dir: string): number {
  const prefix = `${realpathSync(dir)}${path.sep}`;
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(prefix)) count += 1;
    } catch {
      // Closed between readdir and readlink.
    }
  }
  return count;
}

async function stamped(number: string): Promise<ServiceRequest> {
  return vi.waitFor(
    async () => {
      const request = await ops.test.gateway.store.get(number);
      if (!request) throw new Error(`${number} not stamped yet`);
      return request;
    },
    { timeout: 10_000, interval: 50 },
  );
}

describe('sign-in', () => {
  it('refuses a sign-in without the form token (403), signs in with it, and sets a strict session cookie', async () => {
    const client = new Client();
    await client.signInForm();
    const forged = await client.signIn('ewa', PASSWORD, 'not-the-token');
    expect(forged.status).toBe(403);

    const response = await client.signIn('ewa', PASSWORD);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/ops');
    const cookie = response.headers.getSetCookie().join('\n');
    expect(cookie).toMatch(/hezo_ops=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);

    const page = await client.fetch('/ops');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).not.toMatch(/<script>|style=/);
  });

  it('sends unsigned visitors to the sign-in form and refuses the JSON with 401', async () => {
    const client = new Client();
    expect((await client.fetch('/ops', { headers: { accept: 'text/html' } })).headers.get('location')).toBe('/ops/sign-in');
    expect((await client.fetch('/ops/api/list', { headers: { accept: 'application/json' } })).status).toBe(401);
    expect((await client.fetch('/ops/queues', { headers: { accept: 'text/html' } })).status).toBe(303);
  });

  it('locks an account after 3 failures, even for the right password, and says so', async () => {
    const client = new Client();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await client.signIn('ewa-lock', 'wrong')).status);
    expect(statuses).toEqual([401, 401, 429]);

    const lockedClient = new Client();
    // A configured account locks the same way: the right password is refused while locked.
    for (let i = 0; i < 3; i += 1) await lockedClient.signIn('anna.nowak@example.pl', 'wrong');
    const refused = await lockedClient.signIn('anna.nowak@example.pl', PASSWORD);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('Account locked');
  });

  it('clears the count when the right password comes within the limit', async () => {
    const client = new Client();
    const statuses: number[] = [];
    for (const password of ['wrong', 'wrong', PASSWORD, 'wrong', 'wrong', PASSWORD]) statuses.push((await client.signIn('ewa', password)).status);
    expect(statuses).toEqual([401, 401, 303, 401, 401, 303]);
  });

  it('checks no more than 3 passwords when 12 wrong sign-ins arrive at once, and stays locked', async () => {
    const clients = Array.from({ length: 12 }, () => new Client());
    const tokens = await Promise.all(clients.map((client) => client.signInForm()));
    const statuses = await Promise.all(clients.map(async (client, i) => (await client.signIn('piotr', `wrong ${i}`, tokens[i])).status));
    expect(statuses.sort((a, b) => a - b)).toEqual([401, 401, ...Array<number>(10).fill(429)]);
    const failed = logLines.filter((line) => line.includes('ops sign-in failed') && line.includes('"login":"p***(5)"'));
    expect(failed).toHaveLength(3);

    const refused = await new Client().signIn('piotr', PASSWORD);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('Account locked');
  });

  it('answers a session cookie that does not decode as no session (401), not 500', async () => {
    const cookie = 'hezo_ops=%E0%A4%A';
    const json = await fetch(`${ops.url}/ops/api/list`, { headers: { cookie, accept: 'application/json' } });
    expect(json.status).toBe(401);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const page = await fetch(`${ops.url}/ops`, { redirect: 'manual', headers: { cookie, accept: 'text/html' } });
    expect(page.headers.get('location')).toBe('/ops/sign-in');
    expect((await fetch(`${ops.url}/ops/sign-in`, { headers: { cookie } })).status).toBe(200);
  });

  it('compares unknown logins against a dummy hash of the configured accounts\' highest cost', async () => {
    const dummy = await noAccountHash({ ...testEngineer('a', PASSWORD, 'en', 6), ...testEngineer('b', PASSWORD, 'en', 5) });
    expect(bcrypt.getRounds(dummy)).toBe(6);
    expect(await bcrypt.compare(PASSWORD, dummy)).toBe(false);
    // The demo account of the embedded default is made with cost 10.
    const demoAccounts = engineerAccounts({ ops: { engineers: {} } });
    expect(bcrypt.getRounds(await noAccountHash(demoAccounts))).toBe(10);
  });

  it('logs login names masked to their first character and length (a password typed as the login stays out of the log)', async () => {
    // Issue 20: a failed sign-in logged the login as typed.
    await new Client().signIn('Tajne-Haslo-123!', 'x');
    const lines = logLines.filter((line) => line.includes('ops sign-in'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/anna\.nowak|example\.pl|Tajne-Haslo|"login":"ewa"/);
    expect(lines.join('\n')).toContain('"login":"a***(21)"');
    expect(lines.join('\n')).toContain('"login":"T***(16)"');
  });

  it('has a demo account when no engineers are configured, and Secure cookies behind https', async () => {
    const accounts = engineerAccounts({ ops: { engineers: {} } });
    const demo = demoCredentials();
    expect(Object.keys(accounts)).toEqual(['demo']);
    expect(await bcrypt.compare(demo.password, accounts.demo?.passwordHash ?? '')).toBe(true);
    const ops = { cookieSecure: false };
    expect(sessionCookie({ ops, http: { publicUrl: 'https://intake.myhezo.pl' } })).toEqual({ name: '__Host-hezo_ops', secure: true });
    expect(sessionCookie({ ops, http: { publicUrl: 'http://localhost:8080' } }).secure).toBe(false);
  });
});

describe('the page data, actions and downloads', () => {
  let client: Client;
  let csrf: string;
  beforeAll(async () => {
    client = new Client();
    await client.signIn('ewa', PASSWORD);
    csrf = await client.pageCsrf();
  });

  it('refuses an action without the CSRF token (403) and records it with the token', async () => {
    const { requestNumber } = await ops.test.gateway.intake.submit(draft());
    await stamped(requestNumber);
    const without = await client.fetch(`/ops/api/requests/${requestNumber}/actions/contacted`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await ops.test.gateway.store.get(requestNumber))?.status).toBe('accepted');

    const withToken = await client.fetch(`/ops/api/requests/${requestNumber}/actions/contacted`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: '{}',
    });
    expect(withToken.status).toBe(200);
    const stored = await ops.test.gateway.store.get(requestNumber);
    expect(stored?.status).toBe('contacted');
    expect(stored?.firstResponse).toMatchObject({ by: 'engineer:ewa', met: true });
    const line = logLines.find((l) => l.includes('engineer action recorded') && l.includes(requestNumber));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ requestNumber, channel: 'email', action: 'contacted' });
  });

  it('serves attachments as downloads with a label-only content type', async () => {
    const attachment = await ops.test.gateway.attachments.save(Readable.from([Buffer.from('<script>alert(1)</script>')]), { name: 'log.html', type: 'text/html' });
    const { requestNumber } = await ops.test.gateway.intake.submit(draft({ attachments: [attachment] }));
    await stamped(requestNumber);
    const response = await client.fetch(`/ops/requests/${requestNumber}/attachments/0`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="?log\.html"?/);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe('<script>alert(1)</script>');
    expect((await client.fetch(`/ops/requests/${requestNumber}/attachments/7`)).status).toBe(404);
  });

  it('closes the attachment file when downloads are cancelled, and still serves it whole', async () => {
    const size = 16 * 1024 * 1024;
    const attachment = await ops.test.gateway.attachments.save(Readable.from([Buffer.alloc(size, 'x')]), { name: 'dump.bin', type: 'application/octet-stream' });
    const { requestNumber } = await ops.test.gateway.intake.submit(draft({ attachments: [attachment] }));
    await stamped(requestNumber);
    const url = `${ops.url}/ops/requests/${requestNumber}/attachments/0`;
    // Three downloads that read nothing: the server has sent the headers and holds the file open.
    const downloads = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<http.IncomingMessage>((resolve, reject) => {
            http.get(url, { headers: { cookie: client.cookie } }, resolve).on('error', reject);
          }),
      ),
    );
    expect(downloads.map((download) => download.statusCode)).toEqual([200, 200, 200]);
    expect(openFilesUnder(attachmentsDir)).toBe(3);

    for (const download of downloads) download.destroy();
    await vi.waitFor(() => expect(openFilesUnder(attachmentsDir)).toBe(0), { timeout: 5_000, interval: 50 });
    // Cancelling is routine, not logged as a failed download.
    expect(logLines.filter((line) => line.includes('attachment download failed') && line.includes(requestNumber))).toEqual([]);
    const whole = await client.fetch(`/ops/requests/${requestNumber}/attachments/0`);
    expect((await whole.arrayBuffer()).byteLength).toBe(size);
  });

  it('breaks off a download whose file cannot be read, logs it, and keeps serving', async () => {
    const attachment = await ops.test.gateway.attachments.save(Readable.from([Buffer.from(`unreadable ${randomUUID()}`)]), { name: 'gone.log', type: 'text/plain' });
    const { requestNumber } = await ops.test.gateway.intake.submit(draft({ attachments: [attachment] }));
    await stamped(requestNumber);
    // A directory where the file was: it still "exists" and opens, but every read fails (EISDIR).
    const file = ops.test.gateway.attachments.pathOf(attachment.storageKey);
    rmSync(file);
    mkdirSync(file);
    await expect(client.fetch(`/ops/requests/${requestNumber}/attachments/0`).then((response) => response.text())).rejects.toThrow();
    await vi.waitFor(() => expect(logLines.some((line) => line.includes('attachment download failed') && line.includes(requestNumber))).toBe(true));
    expect((await client.fetch(`/ops/api/requests/${requestNumber}`)).status).toBe(200);
  });

  it('lists open requests with their countdown and shows one with its history and actions', async () => {
    const { requestNumber } = await ops.test.gateway.intake.submit(draft({ sentAt: new Date(ops.now() - 50 * 60_000).toISOString() }));
    await stamped(requestNumber);
    const list = (await (await client.fetch('/ops/api/list?channel=email')).json()) as { rows: Array<{ number: string; state: string; countdown: { remainingMs: number } | null }> };
    const row = list.rows.find((r) => r.number === requestNumber);
    expect(row?.state).toBe('under15');
    expect(row?.countdown?.remainingMs).toBeLessThanOrEqual(10 * 60_000);
    const one = (await (await client.fetch(`/ops/api/requests/${requestNumber}`)).json()) as { actions: string[]; history: Array<{ type: string }> };
    expect(one.actions).toContain('contacted');
    expect(one.history.length).toBeGreaterThan(0);
  });

  it('shows the queue board to signed-in engineers with every queue (the retention sweep\'s maintenance queue and the care sweep\'s too)', async () => {
    const page = await client.fetch('/ops/queues');
    expect(page.status).toBe(200);
    const queues = (await (await client.fetch('/ops/queues/api/queues')).json()) as { queues: Array<{ name: string }> };
    expect(queues.queues.map((q) => q.name).sort()).toEqual(['care', 'intake', 'maintenance', 'notify', 'timers']);
  });
});

describe('/metrics', () => {
  it('counts filed requests, the sent→stamped time, responses and queue depths', async () => {
    const { requestNumber } = await ops.test.gateway.intake.submit(draft({ channel: 'portal', sourceKey: `portal:${randomUUID()}` }));
    await stamped(requestNumber);
    await vi.waitFor(
      async () => {
        const text = await (await fetch(`${ops.url}/metrics`)).text();
        expect(text).toMatch(/hezo_requests_filed_total\{channel="portal",status="accepted"\} 1/);
        expect(text).toMatch(/hezo_requests_filed_total\{channel="email",status="accepted"\} [3-9]/);
        expect(text).toMatch(/hezo_request_sent_to_stamped_seconds_count\{channel="portal"\} 1/);
        expect(text).toMatch(/hezo_first_responses_total\{result="met"\} 1/);
        expect(text).toMatch(/hezo_queue_jobs\{queue="intake",state="failed"\} 0/);
        expect(text).toMatch(/hezo_queue_jobs\{queue="timers",state="delayed"\} [1-9]/);
        expect(text).toMatch(/hezo_open_requests\{status="contacted"\} 1/);
        expect(text).not.toMatch(/anna\.nowak|example\.pl/);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('keeps a request\'s "counted" markers for good (with an expiry, any change after it counted the request again)', async () => {
    const { requestNumber } = await ops.test.gateway.intake.submit(draft({ channel: 'portal', sourceKey: `portal:${randomUUID()}` }));
    await stamped(requestNumber);
    const { redis, settings } = ops.test.gateway;
    const marker = `${settings.intake.prefix}:ops:metrics:filed:${requestNumber}`;
    await vi.waitFor(async () => expect(await redis.exists(marker)).toBe(1), { timeout: 10_000, interval: 50 });
    expect(await redis.pttl(marker)).toBe(-1);
  });

  it('names no file path in /readyz or /metrics', async () => {
    // Issue 20: /readyz showed the contracts file's path to anyone.
    const { settings, registry, url } = ops.test.gateway;
    const readyz = await (await fetch(`${url}/readyz`)).text();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(readyz).toContain('"contracts"');
    for (const text of [readyz, metrics]) {
      for (const secret of [registry.file, path.dirname(registry.file), settings.attachments.dir, settings.redis.embeddedDir, os.tmpdir(), process.cwd()]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/\/(tmp|home|work|var|etc|usr|app|srv|opt)\//);
    }
  });

  it('reports mailbox watchers through the callback the mail channel provides', async () => {
    ops.ops.metrics.setMailboxStates(() => [{ mailbox: 'pomoc', state: 'idle', connected: true }, { mailbox: 'escalation', state: 'reconnecting', connected: false }]);
    const text = await (await fetch(`${ops.url}/metrics`)).text();
    expect(text).toContain('hezo_mailbox_watcher_up{mailbox="pomoc",state="idle"} 1');
    expect(text).toContain('hezo_mailbox_watcher_up{mailbox="escalation",state="reconnecting"} 0');
  });
});
