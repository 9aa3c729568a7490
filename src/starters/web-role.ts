/**
 * The `web` role: one HTTP server for the phone's webhooks, the portal API and page, the
 * engineers' API and the ops page, with /readyz from every registered check.
 */
import type { Express } from 'express';
import { buildApp } from '../app.js';
import type { MailboxSupervisor } from '../channels/mail/supervisor.js';
import { createPhoneChannel } from '../channels/phone/routes.js';
import { PORTAL_API_PATH, PORTAL_PAGE_PATH, portalRoutes } from '../channels/portal/routes.js';
import { createOps } from '../ops/ops-page/index.js';
import { registryApi, requestsApi } from '../ops/requests-api.js';
import { careRoutes } from '../inspections/care-routes.js';
import { inspectionApi } from '../inspections/inspection-api.js';
import { reportsApi } from '../reports/report-routes.js';
import { RedisReportSource } from '../reports/report-source.js';
import { PRIVACY_API_PATH, privacyApi } from '../privacy/privacy-api.js';
import type { EmbeddedDefault } from '../redis/embedded-default.js';
import type { Readiness } from '../util/readiness.js';
import { closeServer, listen } from './http-server.js';
import { clockOption, type SharedServices, type StartContext } from './start-context.js';

export interface WebRoleOptions {
  readiness: Readiness;
  /** The mail role's supervisor, when this process runs it: the ops metrics show its mailboxes. */
  mail: MailboxSupervisor | undefined;
  engineerTokens: Readonly<Record<string, string>>;
  /** Told the URL once listening, so that `serve` can print where the embedded default is. */
  embeddedDefault: EmbeddedDefault | undefined;
}

export async function startWebRole(context: StartContext, services: SharedServices, options: WebRoleOptions): Promise<{ url: string; app: Express }> {
  const { settings, logger, stopping, connections } = context;
  const { store, timers, alerts, calendar, attachments, redis, intake, registry } = services;
  const { inspectionClosed, notifier } = services;
  const reportSource = new RedisReportSource(redis, settings.intake.prefix, calendar);
  const carePages = careRoutes({
    store,
    timers,
    alerts,
    calendar,
    inspectionClosed,
    source: reportSource,
    registry: () => registry.current,
    reminderDays: settings.renewals.reminderDays,
    now: context.now ?? Date.now,
  });
  const ops = createOps({
    store,
    timers,
    alerts,
    calendar,
    attachments,
    redis,
    connections,
    settings,
    logger,
    registry: () => registry.current,
    notifier,
    apiEngineers: Object.keys(options.engineerTokens),
    inspectionClosed,
    pages: [carePages],
    ...clockOption(context),
  });
  // The engineer API's workbench: the same index as the page's list, names for signatures.
  const workbench = {
    store,
    timers,
    alerts,
    calendar,
    registry: () => registry.current,
    notifier,
    index: ops.index,
    inspectionClosed,
    engineerName: (login: string): string => settings.ops.engineers[login]?.name ?? login,
    engineers: (): string[] => [...new Set([...Object.keys(settings.ops.engineers), ...Object.keys(options.engineerTokens)])],
  };
  // Beside the server's close: it ends the open event streams at once, which would hold it.
  stopping.add('serving', 'ops page', 1_500, (grace) => ops.close(grace));
  await context.connected(ops.start().catch((error: unknown) => logger.warn({ reason: (error as Error).message }, 'ops change feed not subscribed')));
  const watchers = options.mail;
  if (watchers) {
    ops.metrics.setMailboxStates(() =>
      watchers.status().map((state) => ({
        mailbox: state.mailbox,
        connected: state.connected,
        state: !state.leaseHeld ? 'watched-elsewhere' : state.connected ? 'connected' : 'reconnecting',
      })),
    );
  }
  const phone = createPhoneChannel({ intake, registry: () => registry.current, calendar, store, redis: services.callRedis, settings, logger, ...clockOption(context) });
  // Also files calls left on disk by a previous run while Redis was down.
  phone.start();
  stopping.add('serving', 'phone spool', 3_000, (grace) => phone.close(grace));
  options.readiness.register('phone-spool', async () => ({ ok: true, detail: `${await phone.spool.pending()} call drafts waiting for Redis` }));
  const portal = portalRoutes({ intake, store, attachments, redis, settings, logger, ...clockOption(context) });
  const app = buildApp({
    readiness: options.readiness,
    logger,
    routes: [
      { path: '/twilio', router: phone.router },
      { path: PORTAL_API_PATH, router: portal.api },
      { path: PORTAL_PAGE_PATH, router: portal.page },
      // Before the requests API: its POST /{n}/{action} would take /{n}/inspection for an action.
      { path: '/api/v1/requests', router: inspectionApi({ store, engineerTokens: options.engineerTokens, ...clockOption(context) }) },
      { path: '/api/v1/reports', router: reportsApi({ source: reportSource, engineerTokens: options.engineerTokens, ...clockOption(context) }) },
      { path: '/api/v1/requests', router: requestsApi({ ...workbench, engineerTokens: options.engineerTokens, ...clockOption(context) }) },
      { path: '/api/v1/registry', router: registryApi(() => registry.current, options.engineerTokens, context.now) },
      { path: PRIVACY_API_PATH, router: privacyApi({ privacy: services.privacy, adminTokens: settings.api.adminTokens }) },
      { path: '/', router: ops.router },
    ],
  });
  const server = await listen(app, settings.http, logger);
  stopping.add('serving', 'HTTP server', 3_000, (grace) => closeServer(server, grace));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.http.port;
  const url = `http://${settings.http.host.includes(':') ? `[${settings.http.host}]` : settings.http.host}:${port}`;
  options.embeddedDefault?.listening(url);
  return { url, app };
}
