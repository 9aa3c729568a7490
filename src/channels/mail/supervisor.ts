/**
 * The mail channel's entry point: one MailboxWatcher per configured mailbox (pomoc@ →
 * service, escalation@ → escalation), their health for /readyz, and the engineer alert when a
 * mailbox stays unreachable longer than settings.mailboxes.unreachableAlertMs — fetching must
 * never stop silently (DESIGN.md section 5).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import { processMailTokens, type MailTokens } from '../../mail-auth/mail-credentials.js';
import type { ContractRegistry } from '../../domain/contracts.js';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import type { Intake } from '../../intake/intake.js';
import type { NotificationSink } from '../../notify/notification-sink.js';
import type { CheckResult } from '../../util/readiness.js';
import type { Settings } from '../../settings.js';
import { compilePatterns, knownToRegistry } from './extract.js';
import { bareAddress } from '../../util/mail-address.js';
import { MailboxWatcher, type MailboxStatus } from './mailbox-watcher.js';

/** How often the unreachable alert condition is checked. */
const ALERT_CHECK_MS = 1_000;

export interface MailboxSupervisorDeps {
  intake: Intake;
  attachments: AttachmentStore;
  /** For leases, watermarks and the quarantine list (not the intake's own connections). */
  redis: Redis;
  settings: Readonly<Settings>;
  logger: Logger;
  /** Raised once per outage when a mailbox has been unreachable longer than unreachableAlertMs, with why (the server's or token endpoint's words). */
  onUnreachable?: (mailbox: string, sinceMs: number, reason?: string) => void;
  /** Sends the oversize notice to a sender (an `ack-mail` job); without it the sender is not told. */
  notifier?: NotificationSink;
  /**
   * The contract registry as it is now (it reloads). Extraction asks it where a serial written
   * with spaces ends ("S/N Q48 24 07315 2 szt."); without it, that is guessed from the text.
   */
  registry?: () => ContractRegistry;
  /** Where OAuth2 mailboxes get their tokens; default the process's cache, shared with the SMTP sender. */
  tokens?: MailTokens;
}

export class MailboxSupervisor {
  private readonly watchers: MailboxWatcher[];
  private readonly alerted = new Set<string>();
  private alertTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: MailboxSupervisorDeps) {
    const { settings } = deps;
    const config = settings.mailboxes;
    const prefix = settings.intake.prefix;
    const patterns = compilePatterns(config.serialPatterns, config.contractPatterns);
    const ownAddresses = [bareAddress(settings.mail.from), ...config.list.map((mailbox) => mailbox.address.toLowerCase())];
    const knownSerial = deps.registry ? knownToRegistry(deps.registry) : undefined;
    const tokens = deps.tokens ?? processMailTokens;
    this.watchers = config.list.map(
      (mailbox) =>
        new MailboxWatcher({
          mailbox,
          credentials: tokens.credentials(mailbox.imap, mailbox.address),
          redis: deps.redis,
          leaseKey: `${prefix}:mail:lease:${mailbox.name}`,
          leaseTtlMs: config.leaseTtlMs,
          drainIntervalMs: config.drainIntervalMs,
          logger: deps.logger,
          drain: {
            intake: deps.intake,
            attachments: deps.attachments,
            redis: deps.redis,
            prefix,
            maxMessageBytes: config.maxMessageBytes,
            importMaxAgeDays: config.importMaxAgeDays,
            patterns,
            knownSerial,
            knownContract: deps.registry ? (contractNumber: string) => deps.registry?.().findContract(contractNumber) !== undefined : undefined,
            ownMessageIdDomain: settings.mail.messageIdDomain,
            ownAddresses,
            notifier: deps.notifier,
          },
        }),
    );
  }

  /** Starts every watcher (each connects once it holds its mailbox's lease). */
  async start(): Promise<void> {
    for (const watcher of this.watchers) watcher.start();
    this.alertTimer = setInterval(() => this.checkUnreachable(), ALERT_CHECK_MS);
    this.alertTimer.unref();
  }

  /** Stops every watcher within `graceMs` (see MailboxWatcher.stop); `abandon` simulates a crash (leases left to expire). */
  async stop(options: { abandon?: boolean; graceMs?: number } = {}): Promise<void> {
    clearInterval(this.alertTimer);
    await Promise.all(this.watchers.map((watcher) => watcher.stop(options)));
  }

  /** Each watcher's state: connected, lease, last IDLE event, last drain, backlog, error. */
  status(): MailboxStatus[] {
    return this.watchers.map((watcher) => watcher.status());
  }

  /**
   * One readiness check per mailbox, for `readiness.register('mailbox:<name>', check)`. A mailbox
   * watched by another process (lease held elsewhere) is fine here.
   */
  readinessChecks(): Array<{ name: string; check: () => CheckResult }> {
    return this.watchers.map((watcher) => {
      const name = watcher.status().mailbox;
      return {
        name: `mailbox:${name}`,
        check: (): CheckResult => {
          const state = watcher.status();
          if (!state.leaseHeld) return { ok: true, detail: 'watched by another process' };
          if (!state.connected) return { ok: false, detail: `not connected${state.error ? `: ${state.error}` : ''}` };
          return { ok: true, detail: `connected; backlog ${state.backlog}; last drain ${state.lastDrainAt ?? 'never'}` };
        },
      };
    });
  }

  private checkUnreachable(): void {
    const limit = this.deps.settings.mailboxes.unreachableAlertMs;
    for (const state of this.status()) {
      if (state.connected || state.unreachableSince === undefined) {
        this.alerted.delete(state.mailbox);
        continue;
      }
      const since = Date.now() - state.unreachableSince;
      if (since >= limit && !this.alerted.has(state.mailbox)) {
        this.alerted.add(state.mailbox);
        this.deps.logger.error({ mailbox: state.mailbox, sinceMs: since, error: state.error }, 'mailbox unreachable: alerting engineers');
        this.deps.onUnreachable?.(state.mailbox, since, state.error);
      }
    }
  }
}
