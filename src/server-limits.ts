/**
 * Limits of the HTTP server itself (issue 20): Node's defaults let a client hold a request
 * open for 300 s and open any number of connections, so a few slow senders — no credentials
 * needed, /twilio takes anyone's POST until its signature is checked — could tie the gateway
 * up. Headers must arrive within `headersTimeoutSeconds`, the whole request within
 * `requestTimeoutSeconds`; idle keep-alive connections close after `keepAliveTimeoutSeconds`;
 * one client address holds at most `maxConnectionsPerClient` connections at once (those over
 * it are closed at once, before a byte is parsed).
 *
 * Behind a proxy every connection comes from the proxy's address: raise the cap there (the
 * proxy limits its clients itself).
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ServerLimits {
  headersTimeoutSeconds: number;
  requestTimeoutSeconds: number;
  keepAliveTimeoutSeconds: number;
  maxConnectionsPerClient: number;
}

/** An HTTP server for `handler` with the limits (it does not listen yet). */
export function createLimitedServer(handler: RequestListener, limits: ServerLimits, onRefused?: (address: string) => void): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutSeconds * 1000,
      requestTimeout: limits.requestTimeoutSeconds * 1000,
      keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
      // Node checks both timeouts on this interval (30 s by default): "within seconds" needs it shorter.
      connectionsCheckingInterval: 1000,
    },
    handler,
  );
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerClient) {
      socket.destroy();
      onRefused?.(address);
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  return server;
}
