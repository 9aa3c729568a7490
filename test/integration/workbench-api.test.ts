/**
 * The workbench through the engineer API on a whole gateway (real Redis, real SMTP capture):
 * correcting data starts the clock when the data arrived, ownership is exclusive, a reply by
 * mail is threaded and records "contacted" when sent, closing needs a resolution and can be
 * undone, search folds Polish letters and finds closed requests, the list pages without gaps,
 * and a duplicate folds into its original with its reporter told.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft, ServiceRequest } from '../../src/domain/request.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const EWA = 'workbench-token-ewa-0123456789abcdef';
const PIOTR = 'workbench-token-piotr-0123456789abcdef';
let redis: PrivateRedis;
let smtp: TestSmtpServer;
let test: TestGateway;

beforeAll(async () => {
  [redis, smtp] = await Promise.all([startPrivateRedis(), startSmtpServer()]);
  test = await startTestGateway(
    {
      mail: { from: 'myHEZO Pomoc <pomoc@myhezo.pl>', messageIdDomain: 'intake.myhezo.pl', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false } },
      notify: { attempts: 20, backoffMs: 200, maxBackoffMs: 1000, ackPerSenderPerHour: 1000 },
      api: { engineerTokens: { ewa: EWA, piotr: PIOTR } },
    },
    { REDIS_URL: redis.url },
  );
}, 60_000);
afterAll(async () => {
  await test?.stop();
  await Promise.all([redis?.cleanup(), smtp?.stop()]);
});

const api = () => request(test.gateway.url);
const as = (token: string) => ({ Authorization: `Bearer ${token}` });
const ewa = as(EWA);
const piotr = as(PIOTR);

function draft(overrides: Partial<IntakeDraft> = {}): IntakeDraft {
  return {
    channel: 'email',
    kind: 'service',
    sourceKey: `mail:<${randomUUID()}@example.pl>`,
    sentAt: new Date().toISOString(),
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki taśmowej',
    description: 'Błąd robota.',
    language: 'pl',
    raw: { payload: { messageId: `<${randomUUID()}@example.pl>` } },
    ...overrides,
  };
}

/** Files a request and waits until it is stored and the API's list has heard of it (the change feed). */
async function file(overrides: Partial<IntakeDraft> = {}): Promise<ServiceRequest> {
  const { requestNumber } = await test.gateway.intake.submit(draft(overrides));
  const stored = await vi.waitFor(
    async () => {
      const found = await test.gateway.store.get(requestNumber);
      if (!found) throw new Error(`${requestNumber} not stored yet`);
      return found;
    },
    { timeout: 15_000, interval: 50 },
  );
  await vi.waitFor(async () => expect((await api().get(`/api/v1/requests?q=${requestNumber}`).set(ewa)).body.total).toBe(1), { timeout: 10_000, interval: 50 });
  return stored;
}

describe('correcting data', () => {
  it('accepts a needs-info request once the engineer enters the serial, with the clock from when it arrived and an event naming the engineer', async () => {
    const sentAt = new Date(Date.now() - 2 * 3600_000).toISOString();
    const waiting = await file({ sentAt, serialNumber: undefined });
    expect(waiting.status).toBe('needs-info');
    const calledAt = new Date(Date.now() - 10 * 60_000).toISOString();
    const res = await api().patch(`/api/v1/requests/${waiting.number}`).set(ewa).send({ serialNumber: 'Q48-24-07315', at: calledAt });
    expect(res.status).toBe(200);
    expect(res.body.request).toMatchObject({ status: 'accepted', clockStartedAt: calledAt, device: { model: 'Qualstar Q48' } });
    // 24x7: 60 elapsed minutes from when the data arrived, not from when the mail was sent.
    expect(res.body.request.responseDeadline.at).toBe(new Date(Date.parse(calledAt) + 3600_000).toISOString());
    expect(res.body.events[0]).toMatchObject({ type: 'data-edited', actor: 'engineer:ewa', data: { changes: { serialNumber: { to: 'Q48-24-07315' } }, status: 'accepted' } });
    expect(res.body.events[1]).toMatchObject({ type: 'clock-started', data: { clockStartedAt: calledAt } });
    // The reporter is told, as when their own reply brings the missing data.
    await vi.waitFor(() => expect(smtp.messages.some((mail) => mail.subject.includes(waiting.number) && mail.text.includes('Zgłoszenie przyjęte'))).toBe(true), { timeout: 20_000, interval: 100 });
  });

  it('refuses a correction that would leave an accepted request unacceptable (409), and a time before the request was sent (400)', async () => {
    const accepted = await file();
    const unknown = await api().patch(`/api/v1/requests/${accepted.number}`).set(ewa).send({ serialNumber: 'NOPE-1' });
    expect(unknown.status).toBe(409);
    expect(unknown.body.error.code).toBe('ILLEGAL_TRANSITION');
    const early = await api().patch(`/api/v1/requests/${accepted.number}`).set(ewa).send({ reporter: { name: 'X' }, at: '2020-01-01T00:00:00Z' });
    expect(early.status).toBe(400);
    expect((await test.gateway.store.get(accepted.number))?.serialNumber).toBe('XLS812-240517');
  });

  it('looks contracts up in the registry by number, prefix and serial, with devices and representatives', async () => {
    const one = await api().get('/api/v1/registry/contracts/HZ202600123').set(ewa);
    expect(one.status).toBe(200);
    expect(one.body.contract).toMatchObject({ number: 'HZ-2026-00123', customer: 'Wawel Data Center sp. z o.o.' });
    expect(one.body.contract.devices.map((d: { serial: string }) => d.serial)).toContain('Q48-24-07315');
    expect(one.body.contract.representatives[0]).toMatchObject({ email: 'anna.nowak@example.pl' });
    const prefix = await api().get('/api/v1/registry/contracts?prefix=HZ-2025').set(ewa);
    expect(prefix.body.contracts.map((c: { number: string }) => c.number)).toEqual(expect.arrayContaining(['HZ-2025-00017', 'HZ-2025-00208']));
    const bySerial = await api().get('/api/v1/registry/contracts?serial=Q80-25-00412').set(ewa);
    expect(bySerial.body.contracts.map((c: { number: string }) => c.number)).toEqual(['HZ-2025-00017']);
    expect((await api().get('/api/v1/registry/contracts/HZ-1999-00001').set(ewa)).status).toBe(404);
    expect((await api().get('/api/v1/registry/contracts/HZ-2026-00123')).status).toBe(401);
  });
});

describe('ownership', () => {
  it('lets one engineer take a request; a second gets 409 naming the owner; assign and release hand it on', async () => {
    const req = await file();
    const taken = await api().post(`/api/v1/requests/${req.number}/take`).set(ewa).send({});
    expect(taken.status).toBe(200);
    expect(taken.body.request.owner).toBe('ewa');
    const second = await api().post(`/api/v1/requests/${req.number}/take`).set(piotr).send({});
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'OWNED_BY_OTHER', details: [{ path: 'owner', message: 'ewa' }] });
    expect(second.body.error.message).toContain('ewa');
    expect((await api().post(`/api/v1/requests/${req.number}/release`).set(piotr).send({})).status).toBe(409);
    const assigned = await api().post(`/api/v1/requests/${req.number}/assign`).set(ewa).send({ to: 'piotr' });
    expect(assigned.body.request.owner).toBe('piotr');
    expect((await api().post(`/api/v1/requests/${req.number}/assign`).set(ewa).send({ to: 'nobody' })).status).toBe(400);
    const mine = await api().get('/api/v1/requests?owner=me').set(piotr);
    expect(mine.body.requests.map((r: { number: string }) => r.number)).toContain(req.number);
    const released = await api().post(`/api/v1/requests/${req.number}/release`).set(piotr).send({});
    expect(released.body.request.owner).toBeUndefined();
    const unowned = await api().get('/api/v1/requests?owner=none&limit=5000').set(ewa);
    expect(unowned.body.requests.map((r: { number: string }) => r.number)).toContain(req.number);
    const history = (await api().get(`/api/v1/requests/${req.number}`).set(ewa)).body.history.filter((e: { type: string }) => e.type === 'owner-changed');
    expect(history.map((e: { data: { how: string } }) => e.data.how)).toEqual(['take', 'assign', 'release']);
  });

  it('gives exactly one of ten engineers taking at once the request', async () => {
    const req = await file();
    const tokens = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? ewa : piotr));
    const answers = await Promise.all(tokens.map((token) => api().post(`/api/v1/requests/${req.number}/take`).set(token).send({})));
    const owner = (await test.gateway.store.get(req.number))?.owner;
    // The owner's own repeats are harmless (200, no change); every other engineer's is 409.
    const refused = answers.filter((res) => res.status === 409);
    expect(refused.length).toBe(5);
    for (const res of refused) expect(res.body.error.details[0].message).toBe(owner);
    const events = (await test.gateway.store.history(req.number)).filter((event) => event.type === 'owner-changed');
    expect(events).toHaveLength(1);
  });
});

describe('contact and reply', () => {
  it('records "contacted" at a past time and by phone; refuses a future time and one before the clock', async () => {
    const sentAt = new Date(Date.now() - 90 * 60_000).toISOString();
    const req = await file({ sentAt });
    const future = await api().post(`/api/v1/requests/${req.number}/contacted`).set(ewa).send({ at: new Date(Date.now() + 3600_000).toISOString(), via: 'phone' });
    expect(future.status).toBe(400);
    const before = await api().post(`/api/v1/requests/${req.number}/contacted`).set(ewa).send({ at: new Date(Date.parse(sentAt) - 60_000).toISOString(), via: 'phone' });
    expect(before.status).toBe(400);
    // 70 minutes after sending on 24x7: breached, although recorded now.
    const late = new Date(Date.parse(sentAt) + 70 * 60_000).toISOString();
    const res = await api().post(`/api/v1/requests/${req.number}/contacted`).set(ewa).send({ at: late, via: 'phone' });
    expect(res.status).toBe(200);
    expect(res.body.request.firstResponse).toEqual({ at: late, by: 'engineer:ewa', met: false, via: 'phone' });
  });

  it('mails a reply threaded to the request, signed by the engineer, and records "contacted" by mail at its send time', async () => {
    const req = await file({ subject: 'Robot stoi' });
    const before = smtp.messages.length;
    const res = await api().post(`/api/v1/requests/${req.number}/reply`).set(ewa).send({ text: 'Dzwoniłam, proszę o logi.\nEwa' });
    expect(res.status).toBe(202);
    const mail = await vi.waitFor(
      () => {
        const found = smtp.messages.slice(before).find((message) => message.subject.includes(req.number) && message.text.includes('Dzwoniłam'));
        if (!found) throw new Error('no reply yet');
        return found;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(mail.subject).toBe(`Re: Robot stoi [${req.number}]`);
    expect(mail.text).toContain('Dzwoniłam, proszę o logi.');
    expect(mail.text).toContain('Pozdrawiam,\newa');
    expect(mail.header('in-reply-to')).toBe(String(req.raw.payload?.messageId));
    expect(mail.header('message-id')).toMatch(new RegExp(`^<${req.number.toLowerCase()}\\.reply\\.`));
    expect(mail.header('auto-submitted')).toBeUndefined();
    const contacted = await vi.waitFor(
      async () => {
        const found = await test.gateway.store.get(req.number);
        if (found?.status !== 'contacted') throw new Error('not contacted yet');
        return found;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(contacted.firstResponse).toMatchObject({ by: 'engineer:ewa', via: 'mail', met: true });
    const history = await test.gateway.store.history(req.number);
    const sent = history.find((event) => event.type === 'reply-sent');
    expect(sent).toBeDefined();
    expect(contacted.firstResponse?.at).toBe(sent?.at);
    expect(history.map((event) => event.type)).toEqual(expect.arrayContaining(['reply-queued', 'reply-sent', 'contacted']));
  });

  it('refuses a reply to a reporter without an e-mail address (409)', async () => {
    const req = await file({ channel: 'phone', sourceKey: `CA${randomUUID().replace(/-/g, '')}`, reporter: { phone: '+48600100200' } });
    const res = await api().post(`/api/v1/requests/${req.number}/reply`).set(ewa).send({ text: 'Halo' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('NO_REPORTER_ADDRESS');
  });
});

describe('close, reopen, search and paging', () => {
  it('closes only with a resolution, reopens to where it was, and finds closed requests', async () => {
    const req = await file({ subject: 'Łódź: napęd nie odpowiada' });
    const bare = await api().post(`/api/v1/requests/${req.number}/closed`).set(ewa).send({});
    expect(bare.status).toBe(400);
    expect(bare.body.error.details[0].path).toBe('resolution');
    expect((await api().post(`/api/v1/requests/${req.number}/closed`).set(ewa).send({ resolution: 'duplicate' })).status).toBe(400);
    const closed = await api().post(`/api/v1/requests/${req.number}/closed`).set(ewa).send({ resolution: 'resolved-remotely' });
    expect(closed.status).toBe(200);
    expect(closed.body.request.resolution).toMatchObject({ kind: 'resolved-remotely', by: 'engineer:ewa', closedFrom: 'accepted' });
    const found = await api().get('/api/v1/requests?q=lodz naped').set(ewa);
    expect(found.body.requests.map((r: { number: string }) => r.number)).toContain(req.number);
    const closedList = await api().get('/api/v1/requests?status=closed').set(ewa);
    expect(closedList.body.requests.map((r: { number: string }) => r.number)).toContain(req.number);
    expect((await api().post(`/api/v1/requests/${req.number}/reopen`).set(ewa).send({})).status).toBe(400);
    const reopened = await api().post(`/api/v1/requests/${req.number}/reopen`).set(ewa).send({ reason: 'Klient dzwoni ponownie' });
    expect(reopened.status).toBe(200);
    expect(reopened.body.request.status).toBe('accepted');
    expect(reopened.body.request.resolution).toBeUndefined();
    expect((await api().post(`/api/v1/requests/${req.number}/reopen`).set(ewa).send({ reason: 'again' })).status).toBe(409);
  });

  it('finds by customer without diacritics or case, by serial prefix, reporter phone and number', async () => {
    const req = await file({ contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412', reporter: { name: 'Katarzyna Wójcik', email: 'katarzyna.wojcik@example.pl', phone: '+48 601 200 300' } });
    for (const q of ['mleczarska', 'MLECZARSKA wschod', 'spoldzielnia', 'Q80-25', 'wojcik', '601200300', req.number, req.number.toLowerCase().slice(0, 12)]) {
      const res = await api().get(`/api/v1/requests?q=${encodeURIComponent(q)}&limit=5000`).set(ewa);
      expect(res.status, q).toBe(200);
      expect(res.body.requests.map((r: { number: string }) => r.number), q).toContain(req.number);
    }
    const none = await api().get('/api/v1/requests?q=zzzyyyxxx').set(ewa);
    expect(none.body).toMatchObject({ requests: [], total: 0, nextCursor: null });
  });

  it('pages with a cursor through every open request exactly once, and says the total', async () => {
    await Promise.all(Array.from({ length: 7 }, () => file()));
    const all = await api().get('/api/v1/requests?limit=5000').set(ewa);
    const total = all.body.total as number;
    expect(all.body.requests).toHaveLength(total);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await api()
        .get(`/api/v1/requests?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
        .set(ewa);
      expect(page.body.total).toBe(total);
      seen.push(...page.body.requests.map((r: { number: string }) => r.number));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.requests.map((r: { number: string }) => r.number));
    expect((await api().get('/api/v1/requests?cursor=bogus').set(ewa)).status).toBe(400);
  });

  it('lists requests without a clock first, with the time they have waited', async () => {
    const waiting = await file({ serialNumber: undefined, contractNumber: undefined, sentAt: new Date(Date.now() - 80 * 60_000).toISOString() });
    const res = await api().get('/api/v1/requests?limit=5000').set(ewa);
    const rows = res.body.requests as Array<{ number: string; waitingForData?: boolean; waitingMs?: number }>;
    const firstClock = rows.findIndex((row) => !row.waitingForData);
    const lastWaiting = rows.map((row) => Boolean(row.waitingForData)).lastIndexOf(true);
    expect(lastWaiting).toBeLessThan(firstClock);
    const mine = rows.find((row) => row.number === waiting.number);
    expect(mine?.waitingMs).toBeGreaterThanOrEqual(80 * 60_000);
    // Each group once, in the order waiting, clock, open (contacted), never mixed.
    const groups = rows.map((row) => (row as { group?: string }).group).filter((group, i, all) => group !== all[i - 1]);
    expect(groups.slice(0, 2)).toEqual(['waiting', 'clock']);
    expect(groups).toEqual(['waiting', 'clock', 'open'].slice(0, groups.length));
    const view = await api().get('/api/v1/requests?view=waiting&limit=5000').set(ewa);
    expect(view.body.requests.every((row: { waitingForData?: boolean }) => row.waitingForData)).toBe(true);
  });
});

describe('related requests and merge', () => {
  it('shows the same device’s other requests, and folds a duplicate into the original with its reporter told', async () => {
    const original = await file({ serialNumber: 'Q80-23-11842' });
    const duplicate = await file({ serialNumber: 'Q80-23-11842', reporter: { name: 'Piotr Wiśniewski', email: 'piotr.wisniewski@example.pl' }, language: 'en', description: 'Same robot again' });
    const detail = await api().get(`/api/v1/requests/${original.number}`).set(ewa);
    const related = detail.body.related.find((r: { number: string }) => r.number === duplicate.number);
    expect(related.via).toEqual(expect.arrayContaining(['contract', 'device']));
    const before = smtp.messages.length;
    const merged = await api().post(`/api/v1/requests/${duplicate.number}/merge`).set(ewa).send({ into: original.number });
    expect(merged.status).toBe(200);
    expect(merged.body.request).toMatchObject({ status: 'closed', mergedInto: original.number, resolution: { kind: 'duplicate', of: original.number } });
    const history = await test.gateway.store.history(original.number);
    expect(history.find((event) => event.type === 'merged')?.data).toEqual({ from: duplicate.number, into: original.number });
    expect(history.filter((event) => event.mergedFrom === duplicate.number).map((event) => event.type)).toContain('filed');
    const notice = await vi.waitFor(
      () => {
        const found = smtp.messages.slice(before).find((message) => message.envelope.to.includes('piotr.wisniewski@example.pl') && message.text.includes(original.number));
        if (!found) throw new Error('no notice yet');
        return found;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(notice.text).toContain(`Your request ${duplicate.number}`);
    // Merging again changes nothing and sends nothing twice; merging into a closed one is 409.
    expect((await api().post(`/api/v1/requests/${duplicate.number}/merge`).set(ewa).send({ into: original.number })).status).toBe(200);
    expect((await test.gateway.store.history(original.number)).length).toBe(history.length);
    expect((await api().post(`/api/v1/requests/${original.number}/merge`).set(ewa).send({ into: duplicate.number })).status).toBe(409);
  });
});
