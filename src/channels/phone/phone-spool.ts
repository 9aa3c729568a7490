/**
 * A local, durable spool of call drafts that could not be submitted because Redis was down.
 * The caller has already been told "your request is being registered": this is the promise
 * kept. Each draft is one JSON file (written to a temp name, fsynced, renamed — a crash never
 * leaves half a file), retried in the background until submit() takes it, then deleted.
 * submit() is idempotent by source key (`call:<CallSid>`), so a retry after a crash between
 * submit and delete files nothing twice.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { IntakeDraft } from '../../domain/request.js';
import { isIntakeError } from '../../errors.js';
import type { Intake } from '../../intake/submit.js';
import type { Logger } from '../../logger.js';

export interface PhoneSpoolOptions {
  dir: string;
  intake: Intake;
  logger: Logger;
  /** How often the spool is retried while it holds drafts. */
  retryMs: number;
}

export class PhoneSpool {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<number> | undefined;

  constructor(private readonly options: PhoneSpoolOptions) {
    mkdirSync(options.dir, { recursive: true });
  }

  /** Keeps a draft on disk until Redis takes it. */
  async save(draft: IntakeDraft): Promise<void> {
    const name = createHash('sha256').update(draft.sourceKey).digest('hex').slice(0, 32);
    const file = path.join(this.options.dir, `${name}.json`);
    const temp = `${file}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(JSON.stringify(draft));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    this.options.logger.warn({ sourceKey: draft.sourceKey }, 'call draft spooled to disk until Redis is back');
  }

  /** How many drafts wait. */
  async pending(): Promise<number> {
    return (await this.files()).length;
  }

  /**
   * Submits what the spool holds; stops at the first REDIS_UNAVAILABLE (the rest would fail
   * the same way). A draft submit() rejects as invalid is moved aside (`.rejected`) for a
   * human rather than retried for ever. Returns how many were filed.
   */
  drain(): Promise<number> {
    this.draining ??= this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Retries every `retryMs` (and once now: drafts from before a restart). */
  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.drain().catch((error: unknown) => this.options.logger.warn({ err: error }, 'phone spool drain failed'));
    };
    this.timer = setInterval(tick, this.options.retryMs);
    this.timer.unref();
    tick();
  }

  /** Stops retrying and waits for a drain under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.draining?.catch(() => undefined);
  }

  private async files(): Promise<string[]> {
    const names = await readdir(this.options.dir).catch(() => [] as string[]);
    return names.filter((name) => name.endsWith('.json')).map((name) => path.join(this.options.dir, name));
  }

  private async drainOnce(): Promise<number> {
    let filed = 0;
    for (const file of await this.files()) {
      let draft: IntakeDraft;
      try {
        draft = JSON.parse(await readFile(file, 'utf8')) as IntakeDraft;
      } catch (error) {
        // Another process sharing the folder filed it meanwhile.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.options.logger.error({ err: error, file }, 'unreadable phone spool file; moved aside');
        await rename(file, `${file}.rejected`).catch(() => undefined);
        continue;
      }
      try {
        const result = await this.options.intake.submit(draft);
        await unlink(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
        filed++;
        this.options.logger.info({ sourceKey: draft.sourceKey, requestNumber: result.requestNumber }, 'spooled call draft filed');
      } catch (error) {
        if (isIntakeError(error) && error.retryable) return filed;
        this.options.logger.error({ err: error, file }, 'spooled call draft rejected; moved aside for a human');
        await rename(file, `${file}.rejected`).catch(() => undefined);
      }
    }
    return filed;
  }
}
