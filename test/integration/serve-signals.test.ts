/**
 * How `hezo-intake serve` on the embedded default ends: SIGTERM/SIGINT end it within 10 s
 * whatever state its private redis-server is in, never leaving that server behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli.js';
import { killIfRunning, processRuns, redisRecordOf, serveFolders, spawnServe, type ServeProcess } from '../support/serve-process.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-serve-signals-'));
let roots = 0;
const started: ServeProcess[] = [];
const redisPids: number[] = [];
afterEach(async () => {
  for (const pid of redisPids) killIfRunning(pid);
  for (const serve of started.splice(0)) {
    if (serve.alive) serve.child.kill('SIGKILL');
    await serve.exited;
  }
  for (const pid of redisPids.splice(0)) killIfRunning(pid);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function serve(options: Parameters<typeof spawnServe>[1] = {}): Promise<{ gateway: ServeProcess; at: ReturnType<typeof serveFolders>; redisPid: number }> {
  const at = serveFolders(path.join(tmp, `gateway-${++roots}`));
  const gateway = await spawnServe(at, options);
  started.push(gateway);
  const redisPid = redisRecordOf(at).pid;
  redisPids.push(redisPid);
  return { gateway, at, redisPid };
}

/** Sends `signal` and resolves how long the process took to exit, and how it exited. */
async function signalled(gateway: ServeProcess, signal: NodeJS.Signals): Promise<{ ms: number; code: number | null }> {
  const sent = Date.now();
  gateway.child.kill(signal);
  const { code, at } = await gateway.exited;
  return { ms: at - sent, code };
}

describe('hezo-intake serve on SIGTERM and SIGINT', () => {
  it('SIGTERM with Redis up: an orderly stop, exit 0 within 10 s, its redis-server gone', async () => {
    const { gateway, redisPid } = await serve();
    const { ms, code } = await signalled(gateway, 'SIGTERM');
    expect(code).toBe(EXIT.ok);
    expect(ms).toBeLessThan(10_000);
    expect(processRuns(redisPid)).toBe(false);
  });

  it('SIGTERM with its redis-server stalled (SIGSTOP): exit within 10 s, saying what did not stop, and no redis-server left', async () => {
    const { gateway, redisPid } = await serve();
    process.kill(redisPid, 'SIGSTOP');
    const { ms, code } = await signalled(gateway, 'SIGTERM');
    expect(ms).toBeLessThan(10_000);
    expect(processRuns(redisPid)).toBe(false);
    // Either every close gave up in time (exit 0), or the deadline ended the drain: exit 1 and
    // one line saying what was still open.
    const said = gateway.stderr.trim().split('\n').filter((line) => line.startsWith('hezo-intake:'));
    if (code !== EXIT.ok) {
      expect(code).toBe(1);
      expect(said).toEqual([expect.stringMatching(/^hezo-intake: the orderly stop did not finish within 7.8 s \(still open: .*connection.*\); exiting without it/)]);
    }
  });

  it('a second SIGINT right after the first: exit at once, taking the redis-server down first', async () => {
    const { gateway, redisPid } = await serve();
    // Stalled, so that the orderly stop the first SIGINT starts would take its whole 7.8 s.
    process.kill(redisPid, 'SIGSTOP');
    gateway.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { ms, code } = await signalled(gateway, 'SIGINT');
    expect(code).toBe(130);
    expect(ms).toBeLessThan(3_000);
    expect(gateway.stderr).toContain('hezo-intake: second SIGINT: exiting now');
    expect(processRuns(redisPid)).toBe(false);
  });

  it('SIGTERM to the gateway and its redis-server at once (as systemd stops a service): Redis is not started again, nothing is left', async () => {
    const { gateway, redisPid } = await serve();
    process.kill(redisPid, 'SIGTERM');
    const { ms } = await signalled(gateway, 'SIGTERM');
    expect(ms).toBeLessThan(10_000);
    expect(gateway.logLines().filter((line) => String(line.msg).includes('private redis-server'))).toEqual([]);
    expect(processRuns(redisPid)).toBe(false);
  });

  it('dying of an uncaught exception still takes its redis-server down', async () => {
    const { gateway, redisPid } = await serve({ preload: ['./test/support/crash-on-sigusr2.ts'] });
    const { code } = await signalled(gateway, 'SIGUSR2');
    expect(code).toBe(1);
    expect(gateway.stderr).toContain('a bug nobody caught');
    expect(processRuns(redisPid)).toBe(false);
  });
});
