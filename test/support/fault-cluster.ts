/**
 * The fault suite's cluster: a whole deployment on this machine, every part of it real and
 * breakable on purpose — a private redis-server (append-only, restartable on its port) or, with
 * startSentinelCluster(), a Redis Sentinel group (./sentinel.ts: a primary, replicas, three
 * Sentinels), a private Dovecot holding pomoc@, a real SMTP capture, a webhook receiver that can
 * fail or hang, and two or more gateway PROCESSES (`hezo-intake serve`, all roles) sharing one
 * config, so a test can kill -9 one of them while the others carry on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { vi } from 'vitest';
import { RequestStore } from '../../src/store/request-store.js';
import { findFreePort } from '../../src/redis/free-port.js';
import { startPrivateDovecot, type PrivateDovecot } from './dovecot.js';
import { writeTestRegistry } from './registry.js';
import { startPrivateRedis, type PrivateRedis } from './redis.js';
import { startSentinelGroup, type SentinelGroup, type SentinelGroupOptions } from './sentinel.js';
import { startSmtpServer, type TestSmtpServer } from './smtp.js';
import { startWebhook, type TestWebhook } from './webhook.js';

export const FAULTS_AUTH_TOKEN = 'faults-twilio-token';
export const FAULTS_PUBLIC_URL = 'https://intake.example.pl';
export const FAULTS_PORTAL_KEY = 'hezo-portal-demo-key';
/** The Dovecot user (and mailbox name) of pomoc@. */
export const POMOC = 'pomoc';

/** One `hezo-intake serve` child process. */
export interface GatewayProcess {
  name: string;
  url: string;
  child: ChildProcess;
  alive: boolean;
  /** kill -9: no drain, no lease release, jobs left locked. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the orderly drain. */
  stop(): Promise<void>;
}

/** What every cluster has, whichever Redis it runs on (what FaultDriver needs). */
export interface ClusterBase {
  dovecot: PrivateDovecot;
  smtp: TestSmtpServer;
  webhook: TestWebhook;
  gateways: GatewayProcess[];
  /** A client of the test's own, for checking the store (reconnects after restarts and follows a failover). */
  client: Redis;
  store: RequestStore;
  prefix: string;
  /** Every submission any driver made on this cluster: what the store may hold and nothing else. */
  submissions: Array<{ sourceKey: string; outcome: string }>;
  /** Starts one more gateway process on the shared config. */
  addGateway(name: string): Promise<GatewayProcess>;
  /** The gateway process holding pomoc@'s mailbox lease (waits until one does). */
  mailboxHolder(): Promise<GatewayProcess>;
  stop(): Promise<void>;
}

/** A cluster on one private redis-server. */
export interface FaultCluster extends ClusterBase {
  redis: PrivateRedis;
}

/** A cluster on a Redis Sentinel group; the gateways find the primary through the Sentinels. */
export interface SentinelCluster extends ClusterBase {
  group: SentinelGroup;
}

export interface ClusterOptions {
  gateways?: number;
  /** Merged over the cluster's settings (top-level sections replaced key by key). */
  settings?: Record<string, Record<string, unknown>>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<FaultCluster> {
  const redis = await startPrivateRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 200 });
  try {
    const cluster = await assemble(options, { REDIS_URL: redis.url }, {}, client, () => redis.cleanup());
    return Object.assign(cluster, { redis });
  } catch (error) {
    client.disconnect();
    await redis.cleanup();
    throw error;
  }
}

/**
 * A cluster on a Sentinel group (one replica by default, as docker-compose.ha.yml runs it, and
 * data and Sentinel passwords). The gateways get `redis.sentinels`, `redis.sentinelName` and the
 * passwords in their config file and no REDIS_URL, so `redis.minReplicasAcked` defaults to 1:
 * nothing is acknowledged before the replica has it.
 */
export async function startSentinelCluster(options: ClusterOptions & { group?: SentinelGroupOptions } = {}): Promise<SentinelCluster> {
  const group = await startSentinelGroup({ replicas: 1, password: 'faults-data-secret', sentinelPassword: 'faults-sentinel-secret', ...options.group });
  const redis = group.redisSettings();
  const client = new Redis({
    sentinels: group.sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port })),
    name: redis.sentinelName,
    ...(redis.password ? { password: redis.password } : {}),
    ...(redis.sentinelPassword ? { sentinelPassword: redis.sentinelPassword } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: () => 200,
    sentinelRetryStrategy: () => 200,
  });
  try {
    const cluster = await assemble(options, {}, { ...redis }, client, () => group.cleanup());
    return Object.assign(cluster, { group });
  } catch (error) {
    client.disconnect();
    await group.cleanup();
    throw error;
  }
}

/**
 * Everything but Redis: Dovecot, SMTP, the webhook, the shared config (with `redisSettings`
 * merged into its redis section) and the gateway processes (with `redisEnv` in their
 * environment). `stopRedis` runs last in stop().
 */
async function assemble(options: ClusterOptions, redisEnv: Record<string, string>, redisSettings: Record<string, unknown>, client: Redis, stopRedis: () => Promise<void>): Promise<ClusterBase> {
  client.on('error', () => undefined);
  const [dovecot, smtp, webhook] = await Promise.all([startPrivateDovecot(), startSmtpServer(), startWebhook()]);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-cluster-'));
  const prefix = 'faults';
  const sections: Record<string, Record<string, unknown>> = {
    http: { host: '127.0.0.1', port: 0, publicUrl: FAULTS_PUBLIC_URL },
    redis: { commandTimeoutMs: 1000, ...redisSettings },
    // Short locks so that jobs a killed process held are taken over within seconds.
    intake: { prefix, dispatchAttempts: 20, dispatchConcurrency: 8, lockDurationMs: 4000, stalledIntervalMs: 2000 },
    attachments: { dir: path.join(tmp, 'attachments'), maxBytes: 1048576 },
    contracts: { file: path.join(tmp, 'contracts.json') },
    twilio: { accountSid: '', authToken: FAULTS_AUTH_TOKEN, smsFrom: '', apiBaseUrl: '' },
    mail: { from: 'myHEZO Pomoc <pomoc@myhezo.pl>', messageIdDomain: 'intake.myhezo.pl', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false } },
    notify: { attempts: 200, backoffMs: 200, maxBackoffMs: 1000, ackPerSenderPerHour: 100_000 },
    alerts: { warnMinutesBefore: [30, 15, 5], webhookUrl: webhook.url, webhookTimeoutMs: 500, engineerEmails: ['serwis@myhezo.pl'], escalationManagerEmails: ['escalation@myhezo.pl'] },
    mailboxes: {
      list: [
        {
          name: POMOC,
          address: 'pomoc@myhezo.pl',
          kind: 'service',
          imap: { host: dovecot.host, port: dovecot.port, secure: false, user: POMOC, password: dovecot.password, rejectUnauthorized: false },
          processedFolder: 'Processed',
          quarantineFolder: 'Quarantine',
        },
      ],
      leaseTtlMs: 3000,
      drainIntervalMs: 5000,
    },
  };
  for (const [name, section] of Object.entries(options.settings ?? {})) sections[name] = { ...sections[name], ...section };
  writeTestRegistry(path.join(tmp, 'contracts.json'));
  const config = path.join(tmp, 'cluster.json');
  writeFileSync(config, JSON.stringify(sections));

  const gateways: GatewayProcess[] = [];

  const addGateway = async (name: string): Promise<GatewayProcess> => {
    const gateway = await spawnGateway(name, config, redisEnv);
    gateways.push(gateway);
    return gateway;
  };

  const cluster: ClusterBase = {
    dovecot,
    smtp,
    webhook,
    gateways,
    client,
    store: new RequestStore(client, prefix),
    prefix,
    submissions: [],
    addGateway,
    async mailboxHolder() {
      return vi.waitFor(
        async () => {
          // Each process says in /readyz whether it holds the lease ("connected; backlog ...").
          const owner = await client.get(`${prefix}:mail:lease:${POMOC}`);
          if (!owner) throw new Error('nobody holds the mailbox lease yet');
          for (const gateway of gateways.filter((g) => g.alive)) {
            const ready = await fetch(`${gateway.url}/readyz`).then((r) => r.text()).catch(() => '');
            if (ready.includes('connected; backlog')) return gateway;
          }
          throw new Error(`no live gateway says it watches the mailbox (lease ${owner})`);
        },
        { timeout: 20_000, interval: 100 },
      );
    },
    async stop() {
      await Promise.all(gateways.map((gateway) => gateway.stop()));
      client.disconnect();
      await Promise.all([stopRedis(), dovecot.cleanup(), smtp.stop(), webhook.close()]);
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  const count = options.gateways ?? 2;
  // One after the other: two tsx compilations at once on two cores only slow each other down.
  try {
    for (let i = 0; i < count; i++) await addGateway(String.fromCharCode(65 + i));
  } catch (error) {
    // No cluster for the test's afterAll to stop: stop what was started here (the caller stops Redis).
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await Promise.all([dovecot.cleanup(), smtp.stop(), webhook.close()]);
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return cluster;
}

async function spawnGateway(name: string, config: string, redisEnv: Record<string, string>): Promise<GatewayProcess> {
  const port = await findFreePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve'], {
    env: { ...process.env, HEZO_CONFIG: config, ...redisEnv, PORT: String(port), LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const gateway: GatewayProcess = {
    name,
    url,
    child,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill9() {
      if (gateway.alive) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gateway.alive) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  // A process that exits at start fails the start at once, not when the wait for /readyz runs out.
  const exitedAtStart = exited.then(() => {
    throw new Error(`gateway ${name} exited at start (exit ${child.exitCode ?? child.signalCode}; its stderr is above)`);
  });
  exitedAtStart.catch(() => undefined);
  try {
    await Promise.race([
      vi.waitFor(async () => {
        if (!gateway.alive) return;
        const status = (await fetch(`${url}/readyz`)).status;
        if (status !== 200) throw new Error(`gateway ${name} not ready (${status})`);
      }, { timeout: 60_000, interval: 200 }),
      exitedAtStart,
    ]);
  } catch (error) {
    await gateway.kill9();
    throw error;
  }
  return gateway;
}
