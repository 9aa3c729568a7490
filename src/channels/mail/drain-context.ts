/**
 * What a drain works on and with (drain.ts), and what each mail's fate is decided with
 * (mail-fate.ts): the mailbox, and the intake, stores and rules behind it. Its own file so
 * that the drain and the fate of one mail share it without depending on each other.
 */
import type { Redis } from 'ioredis';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import type { Intake } from '../../intake/intake.js';
import type { Logger } from '../../logger.js';
import type { NotificationSink } from '../../notify/notification-sink.js';
import type { KnownSerial, NumberPatterns } from './extract.js';

export interface MailboxConfig {
  name: string;
  address: string;
  kind: 'service' | 'escalation';
  processedFolder: string;
  quarantineFolder: string;
}

/** What a drain needs besides the connection. */
export interface DrainContext {
  mailbox: MailboxConfig;
  intake: Intake;
  attachments: AttachmentStore;
  redis: Redis;
  prefix: string;
  logger: Logger;
  maxMessageBytes: number;
  importMaxAgeDays: number;
  patterns: NumberPatterns;
  /** Whether the contract registry lists a serial (see MailContext.knownSerial). */
  knownSerial?: KnownSerial | undefined;
  /** Whether the contract registry lists a contract number (a spam-flagged mail naming one is filed). */
  knownContract?: ((contractNumber: string) => boolean) | undefined;
  /** The domain of our own Message-IDs (settings.mail.messageIdDomain): a bounce naming one returns our acknowledgment. */
  ownMessageIdDomain?: string | undefined;
  ownAddresses: readonly string[];
  notifier?: NotificationSink | undefined;
  /** False once the watcher lost its lease or is stopping: the drain starts no further mail. */
  mayContinue(): boolean;
  /** Mails still to handle, for status(). */
  onBacklog(count: number): void;
}

