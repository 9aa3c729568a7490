/**
 * The signed-in part of the ops page: the page shell, its JSON (list and detail), the SSE
 * stream of changes, attachment downloads and the engineer actions. Request data leaves the
 * server only as JSON; the browser writes it with textContent (assets/app.js).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import type { ServiceCalendar } from '../../domain/calendar.js';
import type { UrgencyLevel } from '../../domain/running-clock.js';
import { recordNote } from '../../dispatcher/engineer-actions.js';
import { REQUEST_NUMBER } from '../../domain/request-number.js';
import type { EngineerAlerts } from '../../notify/engineer-alerts.js';
import type { RequestStore } from '../../store/request-store.js';
import type { RequestEvent } from '../../domain/history.js';
import type { ServiceRequest } from '../../domain/request.js';
import type { TimerService } from '../../dispatcher/timers.js';
import { IntakeError } from '../../errors.js';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import { safeContentType } from '../../intake/attachment-store.js';
import type { Logger } from '../../logger.js';
import { PACKAGE_ROOT } from '../../settings.js';
import type { ChangeFeed } from './change-feed.js';
import { pageShell, setSecurityHeaders } from './html.js';
import { bilingualReason, bilingualTrace, type Bilingual } from './page-words.js';
import { availableActions, clockRunsFrom, countdownOf, countdownState, detailFacts, toRow } from './request-view.js';
import { sessionOf } from './sign-in.js';
import { parseInput, requestNumberParam } from '../route-input.js';

export interface PageRoutesDeps {
  store: RequestStore;
  timers: Pick<TimerService, 'schedule'>;
  alerts: Pick<EngineerAlerts, 'acknowledge'>;
  calendar: ServiceCalendar;
  /** The colour levels of countdowns, from the warning minutes (served to the page too). */
  urgency: readonly UrgencyLevel[];
  attachments: Pick<AttachmentStore, 'open' | 'exists'>;
  changes: ChangeFeed;
  logger: Logger;
  now: () => number;
  /** SSE keep-alive comment interval (proxies drop idle streams). */
  heartbeatMs?: number;
  /** The open SSE streams, ended on shutdown so that the HTTP server can close. */
  streams: Set<express.Response>;
  /** Engineers' names by login (settings ops.engineers): the timeline and owner say who. */
  engineerNames: Readonly<Record<string, string>>;
  /** What closing an inspection sets off (src/inspections/care-sweep.ts). */
  inspectionClosed?: (request: ServiceRequest) => Promise<void>;
}

/** A history event with its stored English sentences also in the page's other language. */
type TimelineEntry = RequestEvent & { words?: { trace?: Bilingual; reason?: Bilingual; runsFrom?: string } };

/** The browser assets: next to this module in src/, or the src/ copy when running from dist/. */
export const ASSETS_DIR = ((): string => {
  const beside = fileURLToPath(new URL('./assets', import.meta.url));
  return existsSync(beside) ? beside : path.join(PACKAGE_ROOT, 'src', 'ops', 'ops-page', 'assets');
})();

const noteBody = z.object({ text: z.string().min(1).max(10_000), id: z.string().min(1).max(200).optional() }).strict();

/** The browser assets (public: the sign-in form needs its stylesheet). */
export function assetRoutes(): Router {
  const router = Router();
  router.use('/ops/assets', express.static(ASSETS_DIR, { index: false, fallthrough: false, setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff') }));
  return router;
}

export function pageRoutes(deps: PageRoutesDeps): Router {
  const router = Router();
  const actor = (res: express.Response): string => `engineer:${sessionOf(res)?.login ?? 'unknown'}`;

  const shell = (_req: express.Request, res: express.Response): void => {
    const session = sessionOf(res);
    setSecurityHeaders(res);
    res.type('html').send(pageShell({
        csrf: session?.csrf ?? '',
        language: session?.language ?? 'pl',
        engineer: session?.name ?? '',
        login: session?.login ?? '',
        engineers: deps.engineerNames,
        urgency: deps.urgency,
      }),);
  };
  router.get('/ops', shell);
  router.get('/ops/requests/:number', shell);

  // The list (search, views, sort, keyset pages) is workbench-api.ts's GET /ops/api/list.

  router.get('/ops/api/requests/:number', async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const request = await deps.store.get(number);
    if (!request) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
    const now = deps.now();
    const countdown = countdownOf(request, now, deps.calendar);
    setSecurityHeaders(res);
    res.json({
      now: new Date(now).toISOString(),
      request,
      row: toRow(request, now, deps.calendar, deps.urgency),
      countdown,
      state: countdownState(countdown, deps.urgency),
      actions: availableActions(request),
      ...detailFacts(request, deps.calendar),
      engineers: deps.engineerNames,
      viewer: sessionOf(res)?.login ?? null,
      history: (await deps.store.history(number)).map((event) => timelineEntry(event, request, deps.calendar)),
    });
  });

  router.get('/ops/requests/:number/attachments/:index', async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const request = await deps.store.get(number);
    const attachment = request?.attachments[Number(req.params.index)];
    if (!attachment || !/^\d+$/.test(req.params.index) || !(await deps.attachments.exists(attachment.storageKey))) {
      throw new IntakeError('NOT_FOUND', `Request ${number} has no attachment ${req.params.index}.`);
    }
    setSecurityHeaders(res, "default-src 'none'; sandbox");
    // Never rendered inline: a download with a label-only content type, whatever the sender claimed.
    // attachment() guesses a type from the file name; the label-only type must come after it.
    res.attachment(attachment.name);
    res.set('Content-Type', downloadType(attachment.type));
    res.set('Content-Length', String(attachment.size));
    // pipeline(), not pipe(): pipe() stops when the client goes away but leaves the file open,
    // one descriptor per cancelled download. pipeline() destroys both sides on either's end.
    pipeline(deps.attachments.open(attachment.storageKey), res, (error) => {
      // A cancelled download is routine; a file that cannot be read is worth a look.
      if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        deps.logger.warn({ requestNumber: number, storageKey: attachment.storageKey, err: error }, 'attachment download failed');
      }
    });
  });

  router.get('/ops/api/events', async (req, res) => {
    await deps.changes.start();
    setSecurityHeaders(res);
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const unlisten = deps.changes.listen((number) => {
      if (REQUEST_NUMBER.test(number)) res.write(`event: change\ndata: ${number}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs ?? 20_000);
    deps.streams.add(res);
    req.on('close', () => {
      clearInterval(heartbeat);
      unlisten();
      deps.streams.delete(res);
    });
  });

  router.post('/ops/api/requests/:number/notes', express.json({ limit: '64kb' }), async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const body = parseInput(noteBody, req.body ?? {});
    const result = await recordNote(deps, number, { text: body.text, actor: actor(res), internal: true, atMs: deps.now(), ...(body.id ? { id: body.id } : {}) });
    res.status(201).json({ request: result.request, events: result.events });
  });

  // The actions (with at, via, resolution) are workbench-api.ts's, mounted before these routes.
  return router;
}

/** The words of an event the domain stored in English, in both languages, and a clock's real start. */
function timelineEntry(event: RequestEvent, request: ServiceRequest, calendar: ServiceCalendar): TimelineEntry {
  const words: NonNullable<TimelineEntry['words']> = {};
  const data = event.data as { reason?: unknown; responseDeadline?: { trace?: unknown }; deliveryDeadline?: { trace?: unknown }; returnDeadline?: { trace?: unknown } } | undefined;
  if (typeof data?.reason === 'string') words.reason = bilingualReason(data.reason);
  const deadline = data?.responseDeadline ?? data?.deliveryDeadline ?? data?.returnDeadline;
  if (typeof deadline?.trace === 'string') words.trace = bilingualTrace(deadline.trace);
  if (event.type === 'clock-started') words.runsFrom = new Date(clockRunsFrom(Date.parse(event.data.clockStartedAt), request.window, calendar)).toISOString();
  return Object.keys(words).length > 0 ? { ...event, words } : event;
}

/** Types a browser would render or run become plain downloads. */
function downloadType(type: string): string {
  const safe = safeContentType(type);
  return /^(text\/html|application\/xhtml|image\/svg|text\/xml|application\/xml|application\/javascript|text\/javascript)/.test(safe)
    ? 'application/octet-stream'
    : safe;
}


