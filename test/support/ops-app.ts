/**
 * The ops page on a whole test gateway: a private Redis, the gateway (dispatcher included)
 * with a settable clock, real timers and alerts (queues only, the gateway's workers run
 * them), and an app built with buildApp + createOps listening on a free port — the way
 * main.ts is to wire it.
 */
import type { Server } from 'node:http';
import bcrypt from 'bcryptjs';
import { buildApp } from '../../src/app.js';
import { EngineerAlerts } from '../../src/notify/engineer-alerts.js';
import { TimerService } from '../../src/dispatcher/timers.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { Notifier } from '../../src/notify/notifier.js';
import { Readiness } from '../../src/util/readiness.js';
import { createOps, type Ops } from '../../src/ops/ops-page/index.js';
import { startTestGateway, type TestGateway } from './gateway.js';
import { startPrivateRedis, type PrivateRedis } from './redis.js';

export interface OpsApp {
  test: TestGateway;
  ops: Ops;
  /** http://127.0.0.1:<port> of the ops app. */
  url: string;
  /** Sets what the gateway and the ops page take as "now" (it runs on from there). */
  setNow(ms: number): void;
  now(): number;
  stop(): Promise<void>;
}

/**
 * An engineer account for tests, with a real bcrypt hash (cost 4 by default: fast, same code
 * path; a higher cost where a test needs the comparison to take a while).
 */
export function testEngineer(login: string, password: string, language: 'pl' | 'en' = 'en', cost = 4): Record<string, { passwordHash: string; name: string; language: 'pl' | 'en' }> {
  return { [login]: { passwordHash: bcrypt.hashSync(password, cost), name: `Engineer ${login}`, language } };
}

export async function startOpsApp(options: { overrides?: Record<string, unknown>; logger?: Logger; startAtMs?: number } = {}): Promise<OpsApp> {
  let offsetMs = options.startAtMs === undefined ? 0 : options.startAtMs - Date.now();
  const now = (): number => Date.now() + offsetMs;
  const redis: PrivateRedis = await startPrivateRedis();
  const cleanups: Array<() => Promise<unknown>> = [() => redis.cleanup()];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const test = await startTestGateway(options.overrides ?? {}, { REDIS_URL: redis.url }, { now });
    cleanups.push(() => test.stop());
    const { gateway } = test;
    const logger = options.logger ?? createLogger('silent');
    const { connections } = gateway;
    const notifier = new Notifier({ connections, settings: gateway.settings, logger });
    cleanups.push(() => notifier.close());
    const alerts = new EngineerAlerts({
      notifier,
      engineerEmails: gateway.settings.alerts.engineerEmails,
      escalationManagerEmails: gateway.settings.alerts.escalationManagerEmails,
      webhookConfigured: gateway.settings.alerts.webhookUrl !== '',
      registry: () => gateway.registry.current,
      now,
    });
    const timers = new TimerService({
      connections,
      prefix: gateway.settings.intake.prefix,
      warnMinutesBefore: gateway.settings.alerts.warnMinutesBefore,
      calendar: gateway.calendar,
      store: gateway.store,
      alerts,
      logger,
      now,
    });
    cleanups.push(() => timers.close());
    const ops = createOps({
      store: gateway.store,
      timers,
      alerts,
      calendar: gateway.calendar,
      attachments: gateway.attachments,
      redis: gateway.redis,
      connections,
      settings: gateway.settings,
      logger,
      registry: () => gateway.registry.current,
      notifier,
      now,
    });
    cleanups.push(() => ops.close());
    await ops.start();
    const app = buildApp({ readiness: new Readiness(), logger, routes: [{ path: '/', router: ops.router }] });
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return {
      test,
      ops,
      url: `http://127.0.0.1:${port}`,
      setNow(ms) {
        offsetMs = ms - Date.now();
      },
      now,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
