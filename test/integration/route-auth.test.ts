/**
 * Every route that can change state refuses a caller without credentials. The routes are
 * enumerated from the running app's router, so a route added later is checked without anyone
 * remembering to add it here; the few that must stay open say why below.
 */
import type { Express } from 'express';
import request from 'supertest';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

/** Routes that change state without credentials, each with the reason it must. */
const OPEN_BY_DESIGN: Record<string, string> = {
  'POST /ops/sign-in': 'the sign-in form itself (CSRF-protected, lock-out after failures)',
};

interface RouteEntry {
  method: string;
  path: string;
}

interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  /** A router (`stack`) or a whole express app mounted as middleware (`router.stack`). */
  handle?: { stack?: RouterLayer[]; router?: { stack?: RouterLayer[] } };
  rawPath?: string | string[];
}

/** Walks express 5's router (router 2.x layers keep their mount path in `rawPath`). */
function enumerateRoutes(app: Express): RouteEntry[] {
  const found: RouteEntry[] = [];
  const walk = (stack: RouterLayer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          for (const method of Object.keys(layer.route.methods)) found.push({ method: method.toUpperCase(), path: join(prefix, path) });
        }
      } else {
        const inner = layer.handle?.stack ?? layer.handle?.router?.stack;
        if (!inner) continue;
        const mount = typeof layer.rawPath === 'string' ? layer.rawPath : '';
        walk(inner, join(prefix, mount));
      }
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack, '');
  return found;
}

function join(prefix: string, path: string): string {
  const joined = `${prefix.replace(/\/$/, '')}/${path.replace(/^\//, '')}`;
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** A concrete URL for a route pattern: parameters get plausible values. */
function concrete(path: string): string {
  return path
    .replace(/:number\b/g, 'HZ-2026-000001')
    .replace(/:[A-Za-z_]+/g, 'x')
    .replace(/\*[A-Za-z_]*/g, 'x')
    .replace(/[{}]/g, '');
}

let redis: PrivateRedis;
let test: TestGateway;
let routes: RouteEntry[];

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway(
    {
      twilio: { accountSid: 'AC00000000000000000000000000000000', authToken: 'route-auth-test-token', smsFrom: '', apiBaseUrl: '' },
      api: { engineerTokens: { tester: 'route-auth-engineer-token-0123456789' } },
    },
    { REDIS_URL: redis.url },
  );
  routes = enumerateRoutes(test.gateway.app as Express);
});
afterAll(async () => {
  await test?.stop();
  await redis?.cleanup();
});

describe('routes that change state', () => {
  it('are found in the router (the enumeration itself works)', () => {
    const changing = routes.filter((route) => !['GET', 'HEAD', 'OPTIONS'].includes(route.method));
    const paths = changing.map((route) => `${route.method} ${route.path}`);
    expect(paths).toEqual(expect.arrayContaining(['POST /api/v1/requests/:number/:action', 'POST /twilio/voice']));
    expect(changing.length).toBeGreaterThan(8);
    // The exemptions must name real routes, or the list would silently exempt nothing.
    for (const key of Object.keys(OPEN_BY_DESIGN)) expect(paths).toContain(key);
  });

  it('refuse callers without credentials, and nothing is filed', async () => {
    const changing = routes.filter((route) => !['GET', 'HEAD', 'OPTIONS'].includes(route.method));
    const before = Object.values(await test.gateway.store.countByStatus()).reduce((a, b) => a + b, 0);
    const answers: string[] = [];
    for (const route of changing) {
      const key = `${route.method} ${route.path}`;
      if (OPEN_BY_DESIGN[key]) continue;
      const url = concrete(route.path);
      const agent = request(test.gateway.url);
      const call = route.method === 'DELETE' ? agent.delete(url) : route.method === 'PUT' ? agent.put(url) : route.method === 'PATCH' ? agent.patch(url) : agent.post(url);
      // A plausible body of each kind: Twilio's form posts, JSON elsewhere.
      const res = route.path.startsWith('/twilio')
        ? await call.type('form').send({ CallSid: 'CA00000000000000000000000000000001', From: '+48600100200', Digits: '1' })
        : await call.send({ action: 'closed', text: 'x' });
      answers.push(`${key} → ${res.status}`);
      const refused = res.status === 401 || res.status === 403 || (res.status === 303 && /\/ops\/(login|sign-in)/.test(res.headers.location ?? ''));
      expect(refused, `${key} answered ${res.status} without credentials`).toBe(true);
    }
    const after = Object.values(await test.gateway.store.countByStatus()).reduce((a, b) => a + b, 0);
    expect(after).toBe(before);
    console.log(`state-changing routes refused without credentials:\n  ${answers.join('\n  ')}`);
  });
});

describe('Twilio signatures', () => {
  it('refuse a replayed webhook whose parameters were changed, and accept the original', async () => {
    const params = { CallSid: 'CA0000000000000000000000000000abcd', AccountSid: 'AC00000000000000000000000000000000', From: '+48600100200', To: '+48122525600', CallStatus: 'ringing' };
    const signature = twilio.getExpectedTwilioSignature('route-auth-test-token', `${test.gateway.settings.http.publicUrl}/twilio/voice`, params);
    const original = await request(test.gateway.url).post('/twilio/voice').type('form').set('X-Twilio-Signature', signature).send(params);
    expect(original.status).toBe(200);
    const tampered = await request(test.gateway.url).post('/twilio/voice').type('form').set('X-Twilio-Signature', signature).send({ ...params, From: '+48601200300' });
    expect(tampered.status).toBe(403);
    const added = await request(test.gateway.url).post('/twilio/voice').type('form').set('X-Twilio-Signature', signature).send({ ...params, Digits: '1' });
    expect(added.status).toBe(403);
  });
});
