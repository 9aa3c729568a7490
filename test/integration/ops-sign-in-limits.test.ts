/**
 * The sign-in form (issue 20): anonymous visitors leave nothing in Redis, attempts are limited
 * per client address, and a forged form token is refused. The burst of 200 sign-ins at once
 * (/healthz p99) is in test/faults/sign-in-burst.test.ts, where files run one at a time.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';

const PASSWORD = 'correct horse battery staple';

/**
 * A POST of the sign-in form from `localAddress` (any 127.x address reaches a 127.0.0.1
 * listener). Status 0: the server closed the connection unanswered (over its per-client cap).
 */
function postSignIn(url: string, form: { cookie: string; csrf: string }, login: string, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter: string | undefined }> {
  const body = new URLSearchParams({ _csrf: form.csrf, login, password: 'wrong', language: 'en' }).toString();
  return new Promise((resolve) => {
    const request = http.request(
      `${url}/ops/sign-in`,
      { method: 'POST', localAddress, agent: false, headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] }));
      },
    );
    request.on('error', () => resolve({ status: 0, retryAfter: undefined }));
    request.end(body);
  });
}

/** The sign-in form's token and its cookie: stateless, so one pair serves any number of POSTs. */
async function signInForm(url: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${url}/ops/sign-in?lang=en`);
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await response.text())?.[1] ?? '';
  return { cookie, csrf };
}

describe('sign-in form on one process', () => {
  let ops: OpsApp;
  beforeAll(async () => {
    ops = await startOpsApp({ overrides: { ops: { engineers: testEngineer('ewa', PASSWORD), signInPerAddressPerMinute: 5 } } });
  });
  afterAll(async () => {
    await ops?.stop();
  });

  it('creates no Redis key for anonymous visitors of GET /ops/sign-in', async () => {
    const redis = ops.test.gateway.redis;
    const before = new Set(await redis.keys('*'));
    // 50 visitors, ten at a time (one client address holds at most 32 connections).
    const forms: Array<{ cookie: string; csrf: string }> = [];
    for (let batch = 0; batch < 5; batch += 1) forms.push(...(await Promise.all(Array.from({ length: 10 }, () => signInForm(ops.url)))));
    expect(new Set(forms.map((form) => form.csrf)).size).toBe(50);
    expect(forms.every((form) => /^hezo_ops_form=/.test(form.cookie))).toBe(true);
    const added = (await redis.keys('*')).filter((key) => !before.has(key));
    expect(added).toEqual([]);
  });

  it('refuses the attempts of one address over the limit with 429 and Retry-After, and not another address\'s', async () => {
    const form = await signInForm(ops.url);
    const first = [];
    for (let i = 0; i < 5; i += 1) first.push((await postSignIn(ops.url, form, `someone-${i}`)).status);
    expect(first).toEqual([401, 401, 401, 401, 401]);
    const over = await postSignIn(ops.url, form, 'someone-5');
    expect(over.status).toBe(429);
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect((await postSignIn(ops.url, form, 'someone-6', '127.0.0.2')).status).toBe(401);
  });

  it('refuses a sign-in whose form token is missing or forged (403), storing nothing', async () => {
    const form = await signInForm(ops.url);
    const forged = await postSignIn(ops.url, { cookie: form.cookie, csrf: 'forged' }, 'ewa', '127.0.0.3');
    expect(forged.status).toBe(403);
    const otherCookie = await signInForm(ops.url);
    expect((await postSignIn(ops.url, { cookie: otherCookie.cookie, csrf: `${form.csrf.slice(0, -2)}xx` }, 'ewa', '127.0.0.3')).status).toBe(403);
  });
});
