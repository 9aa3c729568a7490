/**
 * A local HTTP server standing in for an alert webhook: captures every JSON POST, and on demand
 * answers 500 or does not answer at all (to prove that a timeout is retried).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookCall {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** How the server answered: a status, or 'hung' when it never did. */
  answer: number | 'hung';
}

export interface TestWebhook {
  url: string;
  /** Every POST received, including those answered with an error or left hanging. */
  calls: WebhookCall[];
  /** Calls answered 2xx. */
  delivered(): WebhookCall[];
  /** The next `count` calls answer `status` (default 500). */
  failNext(count: number, status?: number): void;
  /** The next `count` calls get no answer until close(). */
  hangNext(count: number): void;
  close(): Promise<void>;
}

export async function startWebhook(): Promise<TestWebhook> {
  const calls: WebhookCall[] = [];
  const plan: Array<number | 'hung'> = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text: the assertion will show what arrived.
      }
      const answer = plan.shift() ?? 200;
      calls.push({ path: req.url ?? '/', headers: req.headers, body, answer });
      if (answer === 'hung') return;
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer < 300 ? { ok: true } : { error: 'failing on purpose' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks/alerts`,
    calls,
    delivered: () => calls.filter((call) => typeof call.answer === 'number' && call.answer < 300),
    failNext(count, status = 500) {
      for (let i = 0; i < count; i++) plan.push(status);
    },
    hangNext(count) {
      for (let i = 0; i < count; i++) plan.push('hung');
    },
    async close() {
      // Hung requests would keep close() waiting forever.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
