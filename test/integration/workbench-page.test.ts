/**
 * The workbench's JSON behind the ops page (session cookie + CSRF, the signed-in login as the
 * actor): the list with search, views and paging, a data correction, ownership, an action with
 * its time and way, close with a resolution and reopen, related requests and the registry
 * lookup — on a whole test gateway with a real Redis.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft, ServiceRequest } from '../../src/domain/request.js';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';

const PASSWORD = 'correct horse battery staple';
let ops: OpsApp;
let ewa: Client;
let piotr: Client;

// The answers' shapes are what the tests check; loosely typed on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = Record<string, any>;

class Client {
  cookie = '';
  csrf = '';
  async fetch(pathname: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(`${ops.url}${pathname}`, { redirect: 'manual', ...init, headers: { ...(init.headers as Record<string, string>), cookie: this.cookie, ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      if (pair) this.cookie = pair.endsWith('=') ? '' : pair;
    }
    return response;
  }
  async signIn(login: string): Promise<void> {
    const form = await (await this.fetch('/ops/sign-in?lang=en')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
    await this.fetch('/ops/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, login, password: PASSWORD, language: 'pl' }).toString(),
    });
    const shell = await (await this.fetch('/ops')).text();
    this.csrf = /name="csrf-token" content="([^"]+)"/.exec(shell)?.[1] ?? '';
  }
  async json(pathname: string, method = 'GET', body?: unknown): Promise<{ status: number; body: Answer }> {
    const response = await this.fetch(pathname, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json()) as Answer };
  }
}

beforeAll(async () => {
  ops = await startOpsApp({ overrides: { ops: { engineers: { ...testEngineer('ewa', PASSWORD, 'pl'), ...testEngineer('piotr', PASSWORD) }, sessionTtlSeconds: 3600, lockoutAttempts: 5, lockoutSeconds: 60, cookieSecure: false } } });
  ewa = new Client();
  piotr = new Client();
  await ewa.signIn('ewa');
  await piotr.signIn('piotr');
}, 60_000);
afterAll(async () => {
  await ops?.stop();
});

function draft(overrides: Partial<IntakeDraft> = {}): IntakeDraft {
  return {
    channel: 'email',
    kind: 'service',
    sourceKey: `mail:<${randomUUID()}@example.pl>`,
    sentAt: new Date(ops.now() - 10 * 60_000).toISOString(),
    reporter: { name: 'Katarzyna Wójcik', email: 'katarzyna.wojcik@example.pl' },
    contractNumber: 'HZ-2025-00017',
    serialNumber: 'Q80-25-00412',
    subject: 'Łódź: awaria',
    language: 'pl',
    ...overrides,
  };
}

async function file(overrides: Partial<IntakeDraft> = {}): Promise<ServiceRequest> {
  const { requestNumber } = await ops.test.gateway.intake.submit(draft(overrides));
  const stored = await vi.waitFor(
    async () => {
      const found = await ops.test.gateway.store.get(requestNumber);
      if (!found) throw new Error('not stored yet');
      return found;
    },
    { timeout: 15_000, interval: 50 },
  );
  await vi.waitFor(async () => expect((await ewa.json(`/ops/api/list?q=${requestNumber}`)).body.total).toBe(1), { timeout: 10_000, interval: 50 });
  return stored;
}

describe('the workbench JSON of the ops page', () => {
  it('refuses changes without the CSRF token, and records the signed-in engineer as the actor', async () => {
    const req = await file();
    const anonymous = new Client();
    anonymous.cookie = ewa.cookie;
    expect((await anonymous.json(`/ops/api/requests/${req.number}/take`, 'POST', {})).status).toBe(403);
    const taken = await ewa.json(`/ops/api/requests/${req.number}/take`, 'POST', {});
    expect(taken.status).toBe(200);
    expect(taken.body.request.owner).toBe('ewa');
    const refused = await piotr.json(`/ops/api/requests/${req.number}/take`, 'POST', {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('ewa');
    const mine = await ewa.json('/ops/api/list?view=mine');
    expect(mine.body.requests.map((r: { number: string }) => r.number)).toEqual([req.number]);
    expect(mine.body.rows[0].number).toBe(req.number);
  });

  it('corrects the serial of a request that waited for it, searches it folded, and pages the list', async () => {
    const waiting = await file({ serialNumber: undefined });
    expect(waiting.status).toBe('needs-info');
    const edited = await ewa.json(`/ops/api/requests/${waiting.number}`, 'PATCH', { serialNumber: 'Q80-25-00412' });
    expect(edited.status).toBe(200);
    expect(edited.body.request.status).toBe('accepted');
    expect(edited.body.events[0]).toMatchObject({ type: 'data-edited', actor: 'engineer:ewa' });
    const found = await ewa.json('/ops/api/list?q=lodz%20mleczarska&limit=1');
    expect(found.body.total).toBeGreaterThanOrEqual(2);
    expect(found.body.requests).toHaveLength(1);
    const next = await ewa.json(`/ops/api/list?q=lodz%20mleczarska&limit=1&cursor=${found.body.nextCursor}`);
    expect(next.body.requests[0].number).not.toBe(found.body.requests[0].number);
  });

  it('records contact by phone at its time, closes with a resolution, reopens, and lists related requests', async () => {
    const req = await file();
    const other = await file();
    const at = new Date(ops.now() - 5 * 60_000).toISOString();
    const contacted = await ewa.json(`/ops/api/requests/${req.number}/actions/contacted`, 'POST', { at, via: 'phone' });
    expect(contacted.status).toBe(200);
    expect(contacted.body.request.firstResponse).toMatchObject({ at, via: 'phone', by: 'engineer:ewa' });
    expect((await ewa.json(`/ops/api/requests/${req.number}/actions/closed`, 'POST', {})).status).toBe(400);
    const closed = await ewa.json(`/ops/api/requests/${req.number}/actions/closed`, 'POST', { resolution: 'duplicate', of: other.number });
    expect(closed.body.request.resolution).toMatchObject({ kind: 'duplicate', of: other.number });
    const closedList = await ewa.json('/ops/api/list?status=closed');
    expect(closedList.body.requests.map((r: { number: string }) => r.number)).toContain(req.number);
    const reopened = await ewa.json(`/ops/api/requests/${req.number}/reopen`, 'POST', { reason: 'Nie duplikat' });
    expect(reopened.body.request.status).toBe('contacted');
    const related = await ewa.json(`/ops/api/requests/${other.number}/related`);
    expect(related.body.related.map((r: { number: string }) => r.number)).toContain(req.number);
  });

  it('looks a contract up as the engineer types', async () => {
    const found = await ewa.json('/ops/api/registry/contracts?prefix=mleczar');
    expect(found.body.contracts.map((c: { number: string }) => c.number)).toEqual(['HZ-2025-00017']);
    expect(found.body.contracts[0].devices[0]).toEqual({ serial: 'Q80-25-00412', model: 'Qualstar Q80' });
    expect((await ewa.json('/ops/api/registry/contracts')).status).toBe(400);
  });
});
