/**
 * The queue board (@bull-board) at /ops/queues for the queues of the deployment (QUEUE_NAMES) —
 * intake, timers, notify — under the deployment's key prefix. It is mounted behind the ops
 * sign-in (src/ops/ops-page/index.ts). It is read-only: its buttons post without our CSRF
 * token, and retrying or deleting jobs by hand can re-send mail; that stays a deliberate CLI
 * or redis-cli step.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import type { Router } from 'express';
import { QUEUE_NAMES } from '../intake/queues.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { closeBullmq } from '../redis/connections.js';
import { OPS_CSP } from './ops-page/html.js';

/** The mount path of the board. */
export const QUEUE_BOARD_PATH = '/ops/queues';

/**
 * The board's own CSP, on its route only (the rest of /ops keeps OPS_CSP). bull-board's page
 * sets `<base href="/ops/queues/">` and loads `static/js/…` relative to it: under OPS_CSP's
 * `base-uri 'none'` the base was ignored, the scripts resolved to /ops/static/… and 404ed, and
 * the board stayed on "Loading" (issue 20). So `base-uri 'self'`; the React bundle also sets
 * inline styles and data: images. Scripts stay 'self' only, and its Google font stays out
 * (the system font shows instead).
 */
export const QUEUE_BOARD_CSP = OPS_CSP.replace("base-uri 'none'", "base-uri 'self'")
  .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
  .replace("img-src 'self'", "img-src 'self' data:");

export interface QueueBoard {
  router: Router;
  /** Closes the board's queues within `graceMs`, then drops them. */
  close(graceMs?: number): Promise<void>;
}

/** Builds the board over its own Queue handles (closed by `close()`). */
export function createQueueBoard(options: { connections: RedisConnections; prefix: string }): QueueBoard {
  const queues = Object.values(QUEUE_NAMES).map((name) => {
    const connection = options.connections.bullmq(`board-${name}`, 'queue');
    return Object.assign(new Queue(name, { connection, prefix: options.prefix }), { handed: connection });
  });
  // Errors show on the board itself; an unhandled 'error' event would crash the process.
  for (const queue of queues) queue.on('error', () => undefined);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    // @bull-board/express 9.10.1 carries its own copy of @bull-board/api (9.10.2 here); the
    // adapter is the same shape, only the class declarations differ for the compiler.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'hezo-intake queues' } },
  });
  return {
    router: serverAdapter.getRouter() as Router,
    async close(graceMs = 1_000) {
      await Promise.all(queues.map((queue) => closeBullmq(queue, queue.handed, options.connections, graceMs)));
    },
  };
}
