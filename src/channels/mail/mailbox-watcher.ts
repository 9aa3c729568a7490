/**
 * One mailbox, watched: while this process holds the mailbox's lease, one imapflow connection
 * IDLEs on INBOX and drains on every `exists`, on every (re)connect and every drainIntervalMs.
 * imapflow does not reconnect by itself, so on close or error a new client is made after a
 * backoff (doubling, capped). The watcher keeps the facts /readyz and the unreachable alert
 * need: connected, last IDLE event, last drain, backlog, and since when it has been unreachable.
 */
import { randomUUID } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { MailCredentials } from '../../mail-auth/mail-credentials.js';
import { closeWithin, StopBudget, withTimeout } from '../../util/timeouts.js';
import { drainMailbox, type DrainContext, type MailboxConfig } from './drain.js';
import { imapErrorText, imapSignIn, type ImapServer, type ImapSignIn } from './imap-sign-in.js';
import { MailboxLease } from './mailbox-lease.js';

/** Reconnect backoff: from 250 ms, doubling, at most 10 s (a restarting Dovecot is back in ~1 s). */
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10_000;

/** A watcher's state as status() and /readyz show it. */
export interface MailboxStatus {
  mailbox: string;
  connected: boolean;
  leaseHeld: boolean;
  lastIdleEventAt?: string;
  lastDrainAt?: string;
  backlog: number;
  /** The last connection or drain error, until the next success. */
  error?: string;
  /** Since when the mailbox could not be reached (ms since epoch), while it cannot. */
  unreachableSince?: number;
  /** Bytes read from the IMAP server for this mailbox since start, over all connections. */
  bytesReceived: number;
}

export interface WatcherOptions {
  mailbox: MailboxConfig & { imap: ImapServer };
  /** What the watcher signs in with (a password, or a token from the process's cache). */
  credentials: MailCredentials;
  redis: Redis;
  leaseKey: string;
  leaseTtlMs: number;
  drainIntervalMs: number;
  logger: Logger;
  /** The drain's dependencies, minus what the watcher supplies itself. */
  drain: Omit<DrainContext, 'mailbox' | 'logger' | 'mayContinue' | 'onBacklog'>;
}

export class MailboxWatcher {
  private readonly lease: MailboxLease;
  private readonly logger: Logger;
  private client: ImapFlow | undefined;
  /** A connect() waiting for its credentials (a token request): a second one must not start. */
  private connecting = false;
  private running = false;
  private leaseHeld = false;
  private connected = false;
  private attempt = 0;
  private leaseTimer: NodeJS.Timeout | undefined;
  /**
   * The lease check in flight. stop() waits for it: an acquire sent before stop() may take the
   * lease after stop() looked, and left unreleased it would keep every other process off the
   * mailbox for a whole TTL.
   */
  private leaseTick: Promise<void> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Single flight: one drain at a time; an `exists` during a drain asks for one more. */
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private lastIdleEventAt: number | undefined;
  private lastDrainAt: number | undefined;
  private backlog = 0;
  private error: string | undefined;
  private unreachableSince: number | undefined;
  /** UIDNEXT when INBOX was opened on this connection (what a first connection imports). */
  private uidNextAtOpen = 1;
  /** Bytes read by connections already counted (imapflow counts per connection). */
  private bytesCounted = 0;

  constructor(private readonly options: WatcherOptions) {
    this.lease = new MailboxLease(options.redis, options.leaseKey, randomUUID(), options.leaseTtlMs);
    this.logger = options.logger.child({ component: 'mailbox-watcher', mailbox: options.mailbox.name });
  }

  /** Starts competing for the lease; connects once it is held. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.leaseTick = this.tickLease();
    this.drainTimer = setInterval(() => this.requestDrain('interval'), this.options.drainIntervalMs);
  }

  /**
   * Stops watching. Graceful: waits for the mail in hand, logs out, frees the lease — all within
   * `graceMs`; past it the connection is closed and the lease left to expire (another process
   * takes the mailbox over within one TTL, and what was not moved to Processed is drained again).
   * `abandon` leaves everything as a crashed process would (lease left to expire) — for
   * proving that nothing is lost or duplicated when a process dies.
   */
  async stop(options: { abandon?: boolean; graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? 3_000;
    const budget = new StopBudget(graceMs);
    this.running = false;
    clearTimeout(this.leaseTimer);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.drainTimer);
    const client = this.client;
    this.client = undefined;
    if (client) this.countBytes(client);
    if (options.abandon) {
      client?.close();
      this.connected = false;
      return;
    }
    await withTimeout(this.draining?.catch(() => undefined) ?? Promise.resolve(), budget.grace(graceMs), () => undefined);
    if (client) await closeWithin(() => client.logout().catch(() => client.close()), budget.grace(1_000), () => client.close());
    this.connected = false;
    await withTimeout(this.leaseTick, budget.grace(graceMs), () => undefined);
    if (this.leaseHeld) await withTimeout(this.lease.release().catch(() => undefined), budget.grace(500), () => undefined);
    this.leaseHeld = false;
  }

  status(): MailboxStatus {
    return {
      mailbox: this.options.mailbox.name,
      connected: this.connected,
      leaseHeld: this.leaseHeld,
      ...(this.lastIdleEventAt ? { lastIdleEventAt: new Date(this.lastIdleEventAt).toISOString() } : {}),
      ...(this.lastDrainAt ? { lastDrainAt: new Date(this.lastDrainAt).toISOString() } : {}),
      backlog: this.backlog,
      ...(this.error ? { error: this.error } : {}),
      ...(this.unreachableSince ? { unreachableSince: this.unreachableSince } : {}),
      bytesReceived: this.bytesCounted + (this.client?.stats().received ?? 0),
    };
  }

  /** Takes or renews the lease every third of its TTL; losing it drops the connection. */
  private async tickLease(): Promise<void> {
    if (!this.running) return;
    try {
      const held = this.leaseHeld ? await this.lease.renew() : await this.lease.acquire();
      if (!this.running) {
        // Stopped meanwhile: stop() waits for this check and releases what it took.
        this.leaseHeld = held;
        return;
      }
      if (held && !this.leaseHeld) {
        this.leaseHeld = true;
        this.logger.info('lease taken: watching this mailbox');
        void this.connect();
      } else if (!held && this.leaseHeld) {
        this.leaseHeld = false;
        this.logger.warn('lease lost: another process watches this mailbox now');
        this.disconnect();
      }
    } catch (error) {
      // Redis down: keep what we have; the lease check runs again shortly.
      this.logger.warn({ reason: (error as Error).message }, 'lease check failed');
    }
    if (this.running) {
      this.leaseTimer = setTimeout(() => {
        this.leaseTick = this.tickLease();
      }, Math.max(100, Math.floor(this.options.leaseTtlMs / 3)));
    }
  }

  private async connect(): Promise<void> {
    if (!this.running || !this.leaseHeld || this.client || this.connecting) return;
    this.connecting = true;
    let signIn: ImapSignIn;
    try {
      signIn = await imapSignIn(this.options.mailbox.imap, this.options.credentials);
    } catch (error) {
      // No token (the endpoint down, the secret wrong): the provider's words are the error to
      // show, and the reconnect backoff paces the token requests too.
      this.connecting = false;
      this.error = (error as Error).message;
      this.logger.warn({ err: error }, 'no credentials to sign in with');
      this.scheduleReconnect();
      return;
    }
    this.connecting = false;
    if (!this.running || !this.leaseHeld || this.client) return;
    const { client } = signIn;
    this.client = client;
    client.on('error', (error: Error) => {
      this.error = error.message;
      this.logger.warn({ err: error }, 'IMAP connection error');
    });
    client.on('close', () => this.onClose(client));
    client.on('exists', () => {
      this.lastIdleEventAt = Date.now();
      this.requestDrain('exists');
    });
    try {
      await client.connect();
      for (const folder of [this.options.mailbox.processedFolder, this.options.mailbox.quarantineFolder]) {
        await ensureFolder(client, folder);
      }
      const inbox = await client.mailboxOpen('INBOX');
      this.uidNextAtOpen = inbox.uidNext;
      this.connected = true;
      this.attempt = 0;
      this.error = undefined;
      this.unreachableSince = undefined;
      this.logger.info('connected; draining what arrived meanwhile');
      this.requestDrain('connect');
    } catch (error) {
      // A refused token is forgotten here, so that the reconnect signs in with a new one.
      signIn.failed(error);
      this.error = imapErrorText(error, signIn.user);
      this.logger.warn({ err: error }, 'cannot reach the mailbox');
      client.close();
      // imapflow may or may not emit `close` for a connection that never opened.
      this.onClose(client);
    }
  }

  private onClose(client: ImapFlow): void {
    this.countBytes(client);
    if (this.client !== client) return;
    this.client = undefined;
    this.connected = false;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.unreachableSince ??= Date.now();
    if (!this.running || !this.leaseHeld) return;
    const delay = Math.min(BACKOFF_FIRST_MS * 2 ** this.attempt, BACKOFF_MAX_MS);
    this.attempt += 1;
    this.logger.warn({ delayMs: delay }, 'not connected; reconnecting');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private disconnect(): void {
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) this.countBytes(client);
    client?.close();
  }

  /** Moves a connection's byte count into the total (reading resets it: never counted twice). */
  private countBytes(client: ImapFlow): void {
    this.bytesCounted += client.stats(true).received;
  }

  private requestDrain(why: string): void {
    if (!this.running || !this.connected || !this.client) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drainLoop(this.client, why).finally(() => {
      this.draining = undefined;
      // Asked for while the drain ran on a connection that has since been replaced (the new
      // connection's own drain, an `exists` on it): drainLoop() stopped with the old client and
      // left it undone. Run it on the current one, which also starts IDLE there; otherwise the
      // new connection neither drains nor idles until the interval drain.
      if (this.drainAgain) this.requestDrain('again');
    });
  }

  private async drainLoop(client: ImapFlow, why: string): Promise<void> {
    do {
      this.drainAgain = false;
      try {
        const result = await drainMailbox(client, {
          ...this.options.drain,
          mailbox: this.options.mailbox,
          logger: this.logger,
          mayContinue: () => this.running && this.leaseHeld && this.client === client,
          onBacklog: (count) => {
            this.backlog = count;
          },
        }, this.uidNextAtOpen);
        this.lastDrainAt = Date.now();
        // A mail left for the next drain (intake or attachment store down) is an error to show.
        if (result.retryBecause) this.error = result.retryBecause;
        else if (!result.interrupted) this.error = undefined;
        if (result.submitted + result.quarantined > 0) this.logger.info({ why, ...result }, 'drained');
      } catch (error) {
        this.error = (error as Error).message;
        this.logger.warn({ err: error, why }, 'drain failed; the next drain retries');
      }
    } while (this.drainAgain && this.running && this.client === client);
    // Idle at once (imapflow would wait ~15 s): new mail shows as `exists` within ~0.5 s.
    if (this.running && this.client === client && client.usable) client.idle().catch(() => undefined);
  }
}

/** Creates a folder unless it exists; says which. */
export async function ensureFolder(client: ImapFlow, folder: string): Promise<'exists' | 'created'> {
  const existing = await client.list();
  if (existing.some((entry) => entry.path === folder)) return 'exists';
  await client.mailboxCreate(folder).catch((error: Error & { serverResponseCode?: string }) => {
    if (error.serverResponseCode !== 'ALREADYEXISTS') throw error;
  });
  return 'created';
}
