/**
 * Listening and closing the HTTP server: a port that cannot be listened on is one plain line
 * (no stack), and a close gives in-flight requests their grace before cutting connections.
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import { IntakeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createLimitedServer, type ServerLimits } from '../server-limits.js';
import { closeWithin } from '../util/timeouts.js';

/** Listens with the server's limits (src/server-limits.ts): timeouts in seconds, connections per client. */
export async function listen(app: Express, limits: ServerLimits & { port: number; host: string }, logger: Logger): Promise<Server> {
  const { port, host } = limits;
  const server = createLimitedServer(app, limits, (address) => logger.warn({ address }, 'connection refused: too many connections from one client address'));
  return new Promise((resolve, reject) => {
    const refused = (error: Error): void => reject(listenError(error, port, host));
    server.once('error', refused);
    server.listen(port, host, () => {
      server.off('error', refused);
      resolve(server);
    });
  });
}

/** What a person can do about a port the gateway cannot listen on, in one line (no stack). */
function listenError(error: Error, port: number, host: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const choose = 'choose another with --port N (or PORT=N)';
  const message =
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is in use by another program; ${choose}`
      : code === 'EACCES'
        ? `port ${port} on ${host} needs privileges this user does not have (ports below 1024 do); ${choose}`
        : code === 'EADDRNOTAVAIL'
          ? `${host} is not an address of this machine, so port ${port} cannot be listened on there; set http.host (or HOST) to one of its addresses, or 127.0.0.1`
          : undefined;
  return message ? new IntakeError('PORT_UNAVAILABLE', message, { cause: error }) : error;
}

/** In-flight requests get `graceMs` to finish; then their connections are cut. */
export async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections would hold close() open; in-flight requests still finish.
    server.closeIdleConnections();
  });
  await closeWithin(() => closed, graceMs, () => server.closeAllConnections());
}
