/**
 * The request store PUBLISHes a request number on `<prefix>:changes` with every create and
 * update (one Lua script, so no change goes unannounced). One subscriber connection per
 * process fans those numbers out to every open ops page (SSE) and to the metrics, instead of
 * one Redis connection per browser tab.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { RedisConnections } from '../../redis/redis-connections.js';

export type ChangeListener = (requestNumber: string) => void;

export class ChangeFeed {
  private subscriber: Redis | undefined;
  private readonly listeners = new Set<ChangeListener>();
  private starting: Promise<void> | undefined;

  constructor(
    private readonly connections: RedisConnections,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  /** Subscribes on first use; resolves once Redis confirmed the subscription. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      // A subscribed connection can do nothing else, hence its own; it resubscribes by itself after a reconnect.
      const subscriber = this.connections.client({ purpose: 'change-feed', maxRetriesPerRequest: null });
      this.subscriber = subscriber;
      subscriber.on('error', (error: Error) => this.logger.debug({ err: error }, 'ops change feed: redis error'));
      subscriber.on('message', (_channel: string, number: string) => {
        for (const listener of this.listeners) {
          try {
            listener(number);
          } catch (error) {
            this.logger.warn({ err: error }, 'ops change listener failed');
          }
        }
      });
      await subscriber.subscribe(this.channel);
    })();
    return this.starting;
  }

  /** Adds a listener; the returned function removes it. */
  listen(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(graceMs = 1_000): Promise<void> {
    this.listeners.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await this.connections.close(subscriber, graceMs);
  }
}
