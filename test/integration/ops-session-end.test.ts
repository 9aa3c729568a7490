/**
 * A session's event streams end with the session (issue 20: a stream opened before sign-out
 * kept streaming after it): at sign-out at once, and when the session expires within the sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';

const PASSWORD = 'correct horse battery staple';
const TTL_SECONDS = 4;
let ops: OpsApp;

beforeAll(async () => {
  ops = await startOpsApp({ overrides: { ops: { engineers: testEngineer('ewa', PASSWORD), sessionTtlSeconds: TTL_SECONDS } } });
});
afterAll(async () => {
  await ops?.stop();
});

/** Signs in; returns the session cookie and the page's CSRF token. */
async function signIn(): Promise<{ cookie: string; csrf: string }> {
  const form = await fetch(`${ops.url}/ops/sign-in`);
  const formCookie = form.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const formCsrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const signedIn = await fetch(`${ops.url}/ops/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: formCsrf, login: 'ewa', password: PASSWORD }).toString(),
  });
  expect(signedIn.status).toBe(303);
  const cookie = signedIn.headers.getSetCookie().find((line) => line.startsWith('hezo_ops='))?.split(';')[0] ?? '';
  const page = await (await fetch(`${ops.url}/ops`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)?.[1] ?? '' };
}

/** Opens the event stream; resolves `ended` with ms after opening when the server ends it. */
async function openStream(cookie: string): Promise<{ ended: Promise<number>; cancel: () => Promise<void> }> {
  const response = await fetch(`${ops.url}/ops/api/events`, { headers: { cookie, accept: 'text/event-stream' } });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const opened = Date.now();
  const ended = (async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) return Date.now() - opened;
    }
  })();
  return { ended, cancel: () => reader.cancel().catch(() => undefined) };
}

describe('event streams and the session', () => {
  it('ends the session\'s streams at sign-out, and only that session\'s', async () => {
    const mine = await signIn();
    const other = await signIn();
    const stream = await openStream(mine.cookie);
    const otherStream = await openStream(other.cookie);
    const out = await fetch(`${ops.url}/ops/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: mine.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: mine.csrf }).toString(),
    });
    expect(out.status).toBe(303);
    const signedOutAt = Date.now();
    await stream.ended;
    expect(Date.now() - signedOutAt).toBeLessThan(2_000);
    // The other engineer's stream goes on.
    const stillOpen = await Promise.race([otherStream.ended.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 500))]);
    expect(stillOpen).toBe(true);
    await otherStream.cancel();
  });

  it('ends a stream when its session expires', async () => {
    const { cookie } = await signIn();
    const stream = await openStream(cookie);
    // The session lives TTL_SECONDS; streams are checked every 5 s.
    const after = await stream.ended;
    expect(after).toBeLessThan((TTL_SECONDS + 5 + 3) * 1000);
    expect((await fetch(`${ops.url}/ops/api/requests`, { headers: { cookie, accept: 'application/json' } })).status).toBe(401);
  }, 30_000);
});
