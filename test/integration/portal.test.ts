/**
 * The portal API on the real app, a real gateway (dispatcher stamping requests) and a private
 * Redis. Every response is checked against the OpenAPI document the API serves (Ajv, JSON
 * Schema 2020-12), and the document itself against the OpenAPI 3.1 schema.
 */
import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEMO_PORTAL_KEY, hashApiKey } from '../../src/channels/portal/api-keys.js';
import { filedAnswerSchema } from '../../src/channels/portal/answers.js';
import { portalOpenApiDocument } from '../../src/channels/portal/openapi.js';
import { idempotencyGuard } from '../../src/channels/portal/idempotency.js';
import { portalRoutes, type PortalDeps } from '../../src/channels/portal/routes.js';
import { RequestStore } from '../../src/store/request-store.js';
import { intakeKeys } from '../../src/intake/queues.js';
import type { RequestEvent } from '../../src/domain/history.js';
import { REQUEST_STATUSES, type ServiceRequest } from '../../src/domain/request.js';
import { ERROR_CODES, errorAnswerSchemaFor, type ErrorCode } from '../../src/errors.js';
import { Readiness } from '../../src/util/readiness.js';
import type { Settings } from '../../src/settings.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { storeClockEventInOldShape } from '../support/old-history.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const KEYS = { alpha: 'alpha-portal-key-0123456789abcdef', beta: 'beta-portal-key-0123456789abcdef', gamma: 'gamma-portal-key-0123456789abcdef', delta: 'delta-portal-key-0123456789abcdef' };
const MAX_BYTES = 10_000;
let redis: PrivateRedis;
let test: TestGateway;
let app: Express;
let settings: Readonly<Settings>;

function appWith(portal: Partial<Settings['portal']> = {}, deps: Partial<PortalDeps> = {}): Express {
  const { gateway } = test;
  const adjusted = { ...gateway.settings, portal: { ...gateway.settings.portal, ...portal } };
  const routers = portalRoutes({ intake: gateway.intake, store: gateway.store, attachments: gateway.attachments, redis: gateway.redis, settings: adjusted, logger: gateway.logger, ...deps });
  const { api, page } = routers;
  return buildApp({ readiness: new Readiness(), logger: gateway.logger, routes: [{ path: '/api/v1/portal', router: api }, { path: '/portal', router: page }] });
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway(
    {
      intake: { prefix: 'portal-test' },
      redis: { commandTimeoutMs: 1000 },
      attachments: { maxBytes: MAX_BYTES },
      portal: {
        apiKeys: Object.fromEntries(Object.entries(KEYS).map(([name, key]) => [name, hashApiKey(key)])),
        maxBodyBytes: 4096,
        maxAttachmentsPerRequest: 3,
      },
    },
    { REDIS_URL: redis.url },
    { roles: ['web', 'dispatcher'] },
  );
  settings = test.gateway.settings;
  app = appWith();
});
afterAll(async () => {
  await test?.stop();
  await redis?.cleanup();
});

// --- the OpenAPI document as the judge of every answer --------------------------------------
const doc = portalOpenApiDocument('http://localhost:8080');
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormatsModule as unknown as { default: (a: Ajv2020) => void }).default(ajv);
ajv.addSchema({ ...doc, $id: 'portal-openapi' });

type Method = 'get' | 'post';
/** Checks an answer against the response schema of its operation and status; fails when none is documented. */
function conforms(method: Method, path: string, response: { status: number; body: unknown }): void {
  const pointer = `portal-openapi#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${response.status}/content/application~1json/schema`;
  const validate = ajv.getSchema(pointer);
  expect(validate, `no schema documented for ${method.toUpperCase()} ${path} → ${response.status}`).toBeDefined();
  const ok = validate?.(response.body);
  expect(ok, JSON.stringify(validate?.errors)).toBe(true);
}
/** Checks a body we send against the documented request schema. */
function validSubmission(body: unknown): boolean {
  return ajv.getSchema('portal-openapi#/components/schemas/RequestSubmission')?.(body) === true;
}

const auth = (client: keyof typeof KEYS = 'alpha') => ({ Authorization: `Bearer ${KEYS[client]}` });

function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'service',
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl', phone: '+48 600 100 200' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki taśmowej',
    description: 'Robot nie chwyta taśmy, błąd 0x42.',
    language: 'pl',
    ...overrides,
  };
}

async function file(payload: Record<string, unknown>, client: keyof typeof KEYS = 'alpha', key: string = randomUUID()) {
  const response = await request(app).post('/api/v1/portal/requests').set(auth(client)).set('Idempotency-Key', key).send(payload);
  conforms('post', '/requests', response);
  return response;
}

async function stamped(number: string): Promise<ServiceRequest> {
  return vi.waitFor(
    async () => {
      const found = await test.gateway.store.get(number);
      if (!found) throw new Error(`${number} not stamped yet`);
      return found;
    },
    { timeout: 10_000, interval: 50 },
  );
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document, served as JSON with a readable page beside it', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const served = await request(app).get('/api/v1/portal/openapi.json');
    expect(served.status).toBe(200);
    expect(served.body.paths).toEqual(doc.paths);
    const page = await request(app).get('/api/v1/portal/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/requests/{number}/attachments');
    expect(page.text).not.toMatch(/<script/i);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('documents a real 202 and a real 400 by the zod schemas that type them, and refuses answers off those schemas', async () => {
    const filed = await file(body());
    expect(filed.status).toBe(202);
    expect(filedAnswerSchema.safeParse(filed.body).success).toBe(true);
    const invalid = await file({ ...body(), reporter: { name: 'A', email: 'not-an-email' } });
    expect(invalid.status).toBe(400);
    expect(errorAnswerSchemaFor('INPUT_INVALID').safeParse(invalid.body).success).toBe(true);
    expect(invalid.body.error.details).toEqual([expect.objectContaining({ path: 'reporter.email' })]);

    // The documented schemas are as strict as the zod ones: what neither route could answer fails.
    const documented = (path: string) => ajv.getSchema(`portal-openapi#/paths/~1requests/post/responses/${path}/content/application~1json/schema`)!;
    expect(documented('202')({ ...filed.body, status: 'pending' })).toBe(false);
    expect(documented('202')({ ...filed.body, client: 'alpha' })).toBe(false);
    expect(documented('400')({ error: { ...invalid.body.error, code: 'NOT_FOUND' } })).toBe(false);
    expect(documented('400')({ error: { ...invalid.body.error, retryable: true } })).toBe(false);
    expect(documented('400')({ error: { ...invalid.body.error, details: [{ field: 'reporter.email' }] } })).toBe(false);
  });

  it('names for each error answer the code the route answers it with, of that HTTP status, and every request status', () => {
    const components = (doc.components as { schemas: Record<string, unknown> }).schemas;
    const schemas = components as Record<string, { properties: { error: { properties: { code: { const: ErrorCode } } } } }>;
    const answered: string[] = [];
    type Ref = { $ref: string };
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { content: { 'application/json': { schema: Ref | { oneOf: Ref[] } } } }> }>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          const schema = response.content['application/json'].schema;
          // A status answered with one of several codes lists each (the upload's 415).
          for (const ref of 'oneOf' in schema ? schema.oneOf : [schema]) {
            const code = schemas[ref.$ref.split('/').pop()!]!.properties.error.properties.code.const;
            expect(ERROR_CODES[code].status, `${method} ${path} ${status} answers ${code}`).toBe(Number(status));
          }
          answered.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(answered).toEqual(expect.arrayContaining(['post /requests 400', 'post /requests 401', 'post /requests 413', 'post /requests 415', 'post /requests 422', 'post /requests 429', 'post /requests 503', 'get /requests/{number} 404']));
    const statusEnum = (components as Record<string, { properties: { status: { enum: string[] } } }>).RequestStatus!.properties.status.enum;
    expect(statusEnum).toEqual(['queued', ...REQUEST_STATUSES]);
  });
});

describe('POST /requests', () => {
  it('files a Polish request: 202 queued, then accepted with a deadline in Warsaw time', async () => {
    const payload = body();
    expect(validSubmission(payload)).toBe(true);
    const response = await file(payload);
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ status: 'queued', statusUrl: `${settings.http.publicUrl}/api/v1/portal/requests/${response.body.requestNumber}` });
    const number = response.body.requestNumber as string;
    const requestStored = await stamped(number);
    expect(requestStored).toMatchObject({ channel: 'portal', status: 'accepted', language: 'pl', raw: { payload: { client: 'alpha' } } });
    expect(requestStored.sourceKey).toMatch(/^portal:alpha:/);
    const status = await request(app).get(`/api/v1/portal/requests/${number}`).set(auth());
    conforms('get', '/requests/{number}', status);
    expect(status.body).toMatchObject({ requestNumber: number, status: 'accepted', device: { serial: 'XLS812-240517' } });
    expect(status.body.responseDeadline.warsaw).toMatch(/^\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d{3})?)? CES?T$/);
    expect(status.body.responseDeadline.trace).toContain('→');
    expect(status.body.history.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['filed', 'clock-started']));
    expect(JSON.stringify(status.body)).not.toContain('alpha');
  });

  it('files an English request with an explicit sentAt, which starts the clock', async () => {
    const sentAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const payload = body({ language: 'en', contractNumber: 'HZ-2026-00123', serialNumber: 'Q80-23-11842', subject: 'Drive failure', description: 'Drive 3 reports SMART errors.', sentAt, reporter: { name: 'Piotr Wiśniewski', email: 'piotr.wisniewski@example.pl' } });
    expect(validSubmission(payload)).toBe(true);
    const response = await file(payload);
    expect(response.status).toBe(202);
    const stored = await stamped(response.body.requestNumber);
    expect(stored).toMatchObject({ language: 'en', sentAt, status: 'accepted' });
    expect(Date.parse(stored.responseDeadline?.at ?? '')).toBe(Date.parse(sentAt) + 60 * 60_000);
  });

  it('takes a contract number as the registry does: one typed in lower case files against that contract', async () => {
    const payload = body({ contractNumber: 'hz-2026-00123' });
    expect(validSubmission(payload)).toBe(true);
    const response = await file(payload);
    expect(response.status).toBe(202);
    expect(await stamped(response.body.requestNumber)).toMatchObject({ status: 'accepted', contractNumber: 'HZ-2026-00123', customer: expect.any(String) });
  });

  it('files without an Idempotency-Key too', async () => {
    const response = await request(app).post('/api/v1/portal/requests').set(auth()).send(body());
    conforms('post', '/requests', response);
    expect(response.status).toBe(202);
  });

  it('names every field problem at once (400)', async () => {
    const empty = await file({});
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['contractNumber', 'description', 'language', 'reporter', 'serialNumber', 'subject']);

    const wrong = await file({
      kind: 'service',
      reporter: { name: '', email: 'not-an-email', phone: 'call me' },
      contractNumber: 'HZ 2026 00123',
      serialNumber: '../x',
      subject: '',
      description: 'x',
      language: 'de',
      sentAt: 'yesterday',
      colour: 'red',
    });
    expect(wrong.status).toBe(400);
    const paths = wrong.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['reporter.name', 'reporter.email', 'reporter.phone', 'contractNumber', 'serialNumber', 'subject', 'language', 'sentAt', '(root)']));

    const future = await file(body({ sentAt: new Date(Date.now() + 10 * 60_000).toISOString() }));
    expect(future.status).toBe(400);
    expect(future.body.error.details).toEqual([{ path: 'sentAt', message: 'lies in the future' }]);
    const old = await file(body({ sentAt: new Date(Date.now() - settings.portal.sentAtMaxAgeMs - 60_000).toISOString() }));
    expect(old.body.error.details[0]).toMatchObject({ path: 'sentAt' });
    const skewed = await file(body({ sentAt: new Date(Date.now() + 20_000).toISOString() }));
    expect(skewed.status).toBe(202);

    const escalationWithout = await file({ kind: 'escalation', reporter: { name: 'A', email: 'a@example.pl' }, description: 'Faster!', language: 'en' });
    expect(escalationWithout.body.error.details).toEqual([{ path: 'escalates', message: expect.stringContaining('required') }]);
    const serviceWith = await file(body({ escalates: 'HZ-2026-000001' }));
    expect(serviceWith.body.error.details).toEqual([expect.objectContaining({ path: 'escalates' })]);
    const unknownTarget = await file({ kind: 'escalation', escalates: 'HZ-2026-999999', reporter: { name: 'A', email: 'a@example.pl' }, description: 'Faster!', language: 'en' });
    expect(unknownTarget.body.error.details).toEqual([{ path: 'escalates', message: 'no request HZ-2026-999999 was filed with this API key' }]);

    const notJson = await request(app).post('/api/v1/portal/requests').set(auth()).set('Content-Type', 'application/json').send('{"reporter":');
    conforms('post', '/requests', notJson);
    expect(notJson.body.error.code).toBe('INPUT_INVALID');
    const array = await file([] as unknown as Record<string, unknown>);
    expect(array.body.error.details).toEqual([{ path: '(root)', message: 'expected a JSON object' }]);
    const badKey = await file(body(), 'alpha', 'spaces are not allowed');
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.details).toEqual([expect.objectContaining({ path: 'Idempotency-Key' })]);
    // An upload's source key is `portal:<client>:attach:…`; a key of that shape would collide.
    const reserved = await file(body(), 'alpha', 'attach:HZ-2026-000001:0123abcd');
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.details).toEqual([{ path: 'Idempotency-Key', message: expect.stringContaining('reserved for uploads') }]);
  });

  it('answers a repeated Idempotency-Key with the same request; another body under it is 422', async () => {
    const key = randomUUID();
    const first = await file(body(), 'alpha', key);
    const again = await file({ ...body(), language: 'pl', kind: 'service' }, 'alpha', key);
    expect(again.status).toBe(202);
    expect(again.body.requestNumber).toBe(first.body.requestNumber);
    expect(again.body.statusUrl).toBe(first.body.statusUrl);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const changed = await file(body({ description: 'Something else' }), 'alpha', key);
    expect(changed.status).toBe(422);
    expect(changed.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // The same key from another client is another request.
    const other = await file(body(), 'beta', key);
    expect(other.body.requestNumber).not.toBe(first.body.requestNumber);
  });

  it('keeps a key bound to its first body for good: the binding has no expiry, a replay any time later is the same request, another body is 422', async () => {
    const key = randomUUID();
    const payload = body({ subject: 'Bound for good' });
    const first = await file(payload, 'alpha', key);
    expect(first.status).toBe(202);
    const number = first.body.requestNumber as string;
    await stamped(number);
    // The source record mapping the key to its number never expires; nor may the binding.
    const { key: bindingKey } = idempotencyGuard(settings.intake.prefix, 'alpha', key, payload);
    expect(await test.gateway.redis.get(bindingKey)).toEqual(expect.any(String));
    expect(await test.gateway.redis.pttl(bindingKey)).toBe(-1);
    expect(await test.gateway.redis.pttl(intakeKeys(settings.intake.prefix).source(`portal:alpha:${key}`))).toBe(-1);

    // Later (the request stamped and its status moved on): the binding still decides.
    const newBody = await file(body({ subject: 'A new fault a day later' }), 'alpha', key);
    expect(newBody.status).toBe(422);
    expect(newBody.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const replay = await file(payload, 'alpha', key);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ requestNumber: number, status: 'accepted' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await test.gateway.redis.pttl(bindingKey)).toBe(-1);
  });

  it('files one request for one key sent by ten concurrent calls, and refuses a racing other body', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => file(body({ subject: 'Race' }), 'alpha', key)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([202]));
    const numbers = new Set(answers.map((a) => a.body.requestNumber));
    expect(numbers.size).toBe(1);
    const stored = await stamped([...numbers][0] as string);
    expect(stored.sourceKey).toBe(`portal:alpha:${key}`);

    const raceKey = randomUUID();
    const [a, b] = await Promise.all([file(body({ subject: 'A' }), 'alpha', raceKey), file(body({ subject: 'B' }), 'alpha', raceKey)]);
    expect([a.status, b.status].sort()).toEqual([202, 422]);
  });

  it('refuses missing and wrong keys (401), other types (415) and big bodies (413)', async () => {
    for (const header of [undefined, 'Bearer nope', `Bearer ${DEMO_PORTAL_KEY}`, `Basic ${KEYS.alpha}`]) {
      const call = request(app).post('/api/v1/portal/requests').send(body());
      const response = header ? await call.set('Authorization', header) : await call;
      conforms('post', '/requests', response);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toContain('Bearer');
    }
    const text = await request(app).post('/api/v1/portal/requests').set(auth()).set('Content-Type', 'text/plain').send('hello');
    conforms('post', '/requests', text);
    expect(text.status).toBe(415);
    const form = await request(app).post('/api/v1/portal/requests').set(auth()).type('form').send({ a: 'b' });
    expect(form.status).toBe(415);
    const big = await file(body({ description: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('limits each key to its rate (429 with Retry-After) without slowing other keys', async () => {
    const limited = appWith({ rateLimitMax: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await request(limited).get('/api/v1/portal/requests/HZ-2026-999999').set(auth('gamma'));
      conforms('get', '/requests/{number}', response);
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    const otherKey = await request(limited).get('/api/v1/portal/requests/HZ-2026-999999').set(auth('beta'));
    expect(otherKey.status).toBe(404);
  });
});

describe('GET /requests/{number}', () => {
  it('shows a request to the client that filed it and 404 to another, like a number that does not exist', async () => {
    const filed = await file(body());
    const number = filed.body.requestNumber as string;
    const mine = await request(app).get(`/api/v1/portal/requests/${number}`).set(auth());
    conforms('get', '/requests/{number}', mine);
    expect(mine.status).toBe(200);
    const theirs = await request(app).get(`/api/v1/portal/requests/${number}`).set(auth('beta'));
    const missing = await request(app).get('/api/v1/portal/requests/HZ-2026-999998').set(auth('beta'));
    conforms('get', '/requests/{number}', theirs);
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(theirs.body.error.message.replace(number, 'N')).toBe(missing.body.error.message.replace('HZ-2026-999998', 'N'));
    const malformed = await request(app).get('/api/v1/portal/requests/12345').set(auth());
    conforms('get', '/requests/{number}', malformed);
    expect(malformed.status).toBe(400);
  });

  it('hides internal notes and engineer names from the customer', async () => {
    const filed = await file(body());
    const number = filed.body.requestNumber as string;
    await stamped(number);
    await test.gateway.store.update(number, (current) => ({
      request: current,
      events: [
        { id: 'n1', at: new Date().toISOString(), type: 'note', actor: 'engineer:jan', source: 'api', internal: true, data: { text: 'customer is difficult' } },
        { id: 'n2', at: new Date().toISOString(), type: 'note', actor: 'engineer:jan', source: 'api', internal: false, data: { text: 'We are on it.' } },
        // A type this version does not write (a newer one might): it stays hidden.
        { id: 'b1', at: new Date().toISOString(), type: 'warning', actor: 'system', source: 'timer', data: { minutes: 5 } } as unknown as RequestEvent,
      ],
    }));
    const status = await request(app).get(`/api/v1/portal/requests/${number}`).set(auth());
    conforms('get', '/requests/{number}', status);
    const text = JSON.stringify(status.body);
    expect(text).toContain('We are on it.');
    expect(text).not.toContain('difficult');
    expect(text).not.toContain('jan');
    expect(text).not.toContain('warning');
  });

  it('shows when the clock started and the deadline, also for a request stored before the clock event named its start', async () => {
    const sentAt = new Date(Date.now() - 30 * 60_000).toISOString();
    const filed = await file(body({ sentAt }));
    const number = filed.body.requestNumber as string;
    const stored = await stamped(number);
    const clockItem = async () => {
      const status = await request(app).get(`/api/v1/portal/requests/${number}`).set(auth());
      conforms('get', '/requests/{number}', status);
      return status.body.history.find((item: { type: string }) => item.type === 'clock-started');
    };
    const shown = await clockItem();
    expect(shown.data).toEqual({ clockStartedAt: sentAt, responseDeadline: stored.responseDeadline?.at });
    await storeClockEventInOldShape(test.gateway.redis, test.gateway.store, number);
    expect(await clockItem()).toEqual(shown);
  });
});

describe('escalations', () => {
  it('attaches an escalation to the request it names and flags it', async () => {
    const filed = await file(body());
    const number = filed.body.requestNumber as string;
    await stamped(number);
    const payload = { kind: 'escalation', escalates: number, reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' }, description: 'Nikt nie oddzwonił.', language: 'pl' };
    expect(validSubmission(payload)).toBe(true);
    const escalation = await file(payload);
    expect(escalation.status).toBe(202);
    expect(escalation.body).toMatchObject({ requestNumber: number, status: 'accepted' });
    await vi.waitFor(async () => expect((await test.gateway.store.get(number))?.escalated).toBe(true), { timeout: 10_000 });
    const status = await request(app).get(`/api/v1/portal/requests/${number}`).set(auth());
    expect(status.body.history.map((e: { type: string }) => e.type)).toContain('escalation');
    const foreign = await file(payload, 'beta');
    expect(foreign.status).toBe(400);
  });

  it('answers 202 queued, not 503, when an escalation is filed but its status cannot be read', async () => {
    const filed = await file(body());
    const number = filed.body.requestNumber as string;
    await stamped(number);
    // The request store on a Redis connection of its own that is closed: submit() and the
    // ownership check still reach Redis, reading the status afterwards fails for real.
    const closed = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    closed.disconnect();
    const unreadable = new RequestStore(closed, settings.intake.prefix);
    await expect(unreadable.get(number)).rejects.toThrow();
    const cutOff = appWith({}, { store: unreadable });

    const key = randomUUID();
    const payload = { kind: 'escalation', escalates: number, reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' }, description: 'Nadal nic.', language: 'pl' };
    const escalation = await request(cutOff).post('/api/v1/portal/requests').set(auth()).set('Idempotency-Key', key).send(payload);
    conforms('post', '/requests', escalation);
    expect(escalation.status).toBe(202);
    expect(escalation.body).toMatchObject({ requestNumber: number, status: 'queued' });
    // It was filed: a 503 here would have had the portal file it a second time.
    await vi.waitFor(async () => expect((await test.gateway.store.get(number))?.escalated).toBe(true), { timeout: 10_000 });
    const replay = await request(cutOff).post('/api/v1/portal/requests').set(auth()).set('Idempotency-Key', key).send(payload);
    conforms('post', '/requests', replay);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ requestNumber: number, status: 'queued' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });
});

describe('the embedded default', () => {
  it('accepts the demo key only while no keys are configured, and serves the /portal page under a CSP', async () => {
    const demo = appWith({ apiKeys: {} });
    const filed = await request(demo).post('/api/v1/portal/requests').set('Authorization', `Bearer ${DEMO_PORTAL_KEY}`).send(body());
    conforms('post', '/requests', filed);
    expect(filed.status).toBe(202);
    expect((await stamped(filed.body.requestNumber)).raw.payload?.client).toBe('demo');
    const page = await request(demo).get('/portal');
    expect(page.text).toContain(`data-key="${DEMO_PORTAL_KEY}"`);
    expect(page.text).not.toMatch(/<script>/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const script = await request(demo).get('/portal/form.js');
    expect(script.headers['content-type']).toContain('javascript');
    const configured = await request(app).get('/portal');
    expect(configured.text).not.toContain(DEMO_PORTAL_KEY);
  });
});

describe('while Redis is down', () => {
  it('answers 503 with Retry-After, files nothing, and files again once Redis is back', async () => {
    const key = randomUUID();
    await redis.server.stop();
    // A limiter made while Redis is down must still count once Redis is back.
    const limitedFromTheStart = appWith({ rateLimitMax: 2 });
    // Once a later command has given up, the limiter's script load (queued before it) has failed too.
    await expect(test.gateway.redis.ping()).rejects.toThrow();
    try {
      const down = await file(body({ subject: 'During outage' }), 'alpha', key);
      expect(down.status).toBe(503);
      expect(down.headers['retry-after']).toBeDefined();
      expect(down.body.error).toMatchObject({ code: 'REDIS_UNAVAILABLE', retryable: true });
      const read = await request(app).get('/api/v1/portal/requests/HZ-2026-000001').set(auth());
      conforms('get', '/requests/{number}', read);
      expect(read.status).toBe(503);
    } finally {
      await redis.server.restart();
    }
    const back = await vi.waitFor(
      async () => {
        const response = await file(body({ subject: 'During outage' }), 'alpha', key);
        if (response.status !== 202) throw new Error(`still ${response.status}`);
        return response;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(back.headers['idempotent-replayed']).toBeUndefined();
    expect((await stamped(back.body.requestNumber)).subject).toBe('During outage');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await request(limitedFromTheStart).get('/api/v1/portal/requests/HZ-2026-999999').set(auth('delta'))).status);
    expect(statuses).toContain(429);
  });
});
