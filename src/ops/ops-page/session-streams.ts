/**
 * Ends a session's event streams when the session ends (issue 20: a stream opened before
 * sign-out kept streaming after it). At sign-out on this instance, at once; for a session that
 * expired, or was signed out through another instance, at the next sweep — every `sweepMs` each
 * open stream's session is looked up (one Redis GET per open stream; engineers keep a handful
 * open).
 */
import type { Response } from 'express';
import type { Logger } from '../../logger.js';
import type { SessionStore } from './sessions.js';
import { sessionOf } from './sign-in.js';

export class SessionStreams {
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** The open streams (page-routes adds and removes them). */
    readonly streams: Set<Response>,
    private readonly sessions: Pick<SessionStore, 'get'>,
    private readonly logger: Logger,
    sweepMs = 5_000,
  ) {
    this.timer = setInterval(() => void this.sweep(), sweepMs);
    this.timer.unref();
  }

  /** Ends the streams of a session that was just signed out. */
  endSession(sessionId: string): void {
    for (const stream of this.streams) {
      if (sessionOf(stream)?.id === sessionId) this.end(stream);
    }
  }

  /** Ends every stream (shutdown) and stops sweeping. */
  close(): void {
    clearInterval(this.timer);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  /** Ends the streams whose session is gone from Redis (expired, or signed out elsewhere). */
  async sweep(): Promise<void> {
    for (const stream of [...this.streams]) {
      const id = sessionOf(stream)?.id;
      try {
        if (!id || !(await this.sessions.get(id))) this.end(stream);
      } catch (error) {
        // Redis away: the stream stays until the session can be checked again.
        this.logger.debug({ reason: (error as Error).message }, 'event stream session not checked');
      }
    }
  }

  private end(stream: Response): void {
    this.streams.delete(stream);
    stream.end();
  }
}
