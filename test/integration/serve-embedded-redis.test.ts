/**
 * The embedded default's data folder and its private Redis: one gateway per folder, what is
 * kept there is for the gateway's user alone, and a redis-server that dies under a running
 * gateway is started again without anyone acting. `hezo-intake serve` processes on a real
 * private redis-server, started, doubled, killed -9.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../src/cli.js';
import {
  DEMO_KEY,
  fileRequest,
  killIfRunning,
  processRuns,
  redisRecordOf,
  requestStatus,
  serveFolders,
  spawnServe,
  type ServeProcess,
} from '../support/serve-process.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-serve-folder-'));
let roots = 0;
const started: ServeProcess[] = [];
const redisPids: number[] = [];
afterEach(async () => {
  for (const serve of started.splice(0)) {
    if (serve.alive) serve.child.kill('SIGTERM');
    await serve.exited;
  }
  for (const pid of redisPids.splice(0)) killIfRunning(pid);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function folders(): ReturnType<typeof serveFolders> {
  return serveFolders(path.join(tmp, `gateway-${++roots}`));
}

async function serve(at: ReturnType<typeof serveFolders>, options: Parameters<typeof spawnServe>[1] = {}): Promise<ServeProcess> {
  const process = await spawnServe(at, options);
  started.push(process);
  return process;
}

/** A pid no process has: that of a child that has exited and been reaped. */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
}

/** What Redis tells a client that gives no password (raw: ioredis would hide it behind its ready check). */
async function askWithoutPassword(port: number): Promise<string> {
  const socket = connect({ port, host: '127.0.0.1' });
  try {
    socket.write('GET hezo:any\r\n');
    return await new Promise<string>((resolve, reject) => {
      socket.once('data', (data: Buffer) => resolve(data.toString()));
      socket.once('error', reject);
    });
  } finally {
    socket.destroy();
  }
}

describe('one gateway per data folder', () => {
  it('refuses a second serve on the folder with one line naming the first (pid, port), and the first carries on untouched', async () => {
    const at = folders();
    const first = await serve(at);
    const redis = redisRecordOf(at);
    redisPids.push(redis.pid);
    const second = await serve(at, { ready: false });
    const { code } = await second.exited;
    expect(code).toBe(EXIT.usage);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^hezo-intake is already running on this data folder \\(pid ${first.child.pid}, port ${new URL(first.url).port}, Redis port ${redis.port}\\): stop it first, or give this one its own folder with HEZO_REDIS_DIR`),
    );
    expect(second.stdout).toBe('');

    expect(redisRecordOf(at)).toEqual(expect.objectContaining({ pid: redis.pid, port: redis.port }));
    expect(processRuns(redis.pid)).toBe(true);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    const number = await fileRequest(first.url);
    expect(await requestStatus(first.url, number)).toBe(200);
  });

  it('takes over a lock left by a gateway that is dead', async () => {
    const at = folders();
    mkdirSync(at.redisDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(at.redisDir, 'gateway.lock'), JSON.stringify({ pid: deadPid(), startedAt: '2026-12-01T08:00:00.000Z', httpUrl: 'http://127.0.0.1:8080' }));
    const gateway = await serve(at);
    redisPids.push(redisRecordOf(at).pid);
    expect(JSON.parse(readFileSync(path.join(at.redisDir, 'gateway.lock'), 'utf8'))).toMatchObject({ pid: gateway.child.pid, httpUrl: gateway.url });
  });

  it('stops the redis-server a gateway killed with -9 left behind, then starts with the requests it held', async () => {
    const at = folders();
    const first = await serve(at);
    const orphan = redisRecordOf(at);
    redisPids.push(orphan.pid);
    const number = await fileRequest(first.url);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(processRuns(orphan.pid)).toBe(true);

    const second = await serve(at);
    const now = redisRecordOf(at);
    redisPids.push(now.pid);
    expect(now.pid).not.toBe(orphan.pid);
    expect(processRuns(orphan.pid)).toBe(false);
    expect(await requestStatus(second.url, number)).toBe(200);
  });
});

describe('the private Redis of the embedded default', () => {
  it('answers only with its password, which no command line shows; var/, the AOF and an uploaded attachment are its user\'s alone', async () => {
    const at = folders();
    const gateway = await serve(at);
    const redis = redisRecordOf(at);
    redisPids.push(redis.pid);

    expect(await askWithoutPassword(redis.port)).toMatch(/^-NOAUTH/);
    const passwordFile = path.join(at.redisDir, 'password');
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(40);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(`/proc/${redis.pid}/cmdline`, 'utf8')).not.toContain(password);
    expect(execFileSync('ps', ['-ww', '-o', 'args=', '-p', String(redis.pid)], { encoding: 'utf8' })).not.toContain(password);
    // Nor does the gateway log it.
    expect(gateway.stdout).not.toContain(password);

    const number = await fileRequest(gateway.url);
    const upload = new FormData();
    upload.append('files', new Blob(['2026-12-03 10:00 robot error 0x42, host backup-01\n'], { type: 'text/plain' }), 'robot.log');
    const uploaded = await fetch(`${gateway.url}/api/v1/portal/requests/${number}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${DEMO_KEY}` }, body: upload });
    expect(uploaded.status).toBe(202);
    const { attachments } = (await uploaded.json()) as { attachments: Array<{ sha256: string }> };
    const sha256 = attachments[0]?.sha256 ?? '';
    const attachment = path.join(at.attachmentsDir, 'sha256', sha256.slice(0, 2), sha256);

    expect(statSync(at.data).mode & 0o777).toBe(0o700);
    const aofDir = path.join(at.redisDir, 'appendonlydir');
    expect(readdirSync(aofDir).length).toBeGreaterThan(0);
    for (const file of [at.redisDir, at.attachmentsDir, path.dirname(attachment), aofDir]) expect({ file, mode: statSync(file).mode & 0o777 }).toEqual({ file, mode: 0o700 });
    for (const file of [attachment, path.join(at.redisDir, 'redis.conf'), path.join(at.redisDir, 'redis.log'), ...readdirSync(aofDir).map((name) => path.join(aofDir, name))]) {
      expect({ file, mode: statSync(file).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    }
  });
});

describe('a private redis-server that dies under a running gateway', () => {
  it('is started again on the same port with what it held, /readyz recovers by itself, one log line per restart', async () => {
    const at = folders();
    const gateway = await serve(at);
    const { pid: redisPid, port } = redisRecordOf(at);
    redisPids.push(redisPid);
    const before = await fileRequest(gateway.url);

    process.kill(redisPid, 'SIGKILL');
    await vi.waitFor(() => expect(redisRecordOf(at).pid).not.toBe(redisPid), { timeout: 10_000, interval: 50 });
    const restarted = redisRecordOf(at);
    redisPids.push(restarted.pid);
    expect(restarted.port).toBe(port);
    await vi.waitFor(async () => expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200), { timeout: 20_000, interval: 100 });
    expect(await requestStatus(gateway.url, before)).toBe(200);
    expect(await requestStatus(gateway.url, await fileRequest(gateway.url))).toBe(200);

    const restarts = gateway.logLines().filter((line) => String(line.msg).includes('private redis-server'));
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ level: 'warn', port, attempt: 1, exit: 'killed by SIGKILL' });
    expect(String(restarts[0]?.msg)).toBe(`the private redis-server killed by SIGKILL; restarted it on port ${port} (attempt 1)`);
  });
});
