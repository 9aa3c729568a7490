/**
 * Holds the current contract registry and swaps in a new one when its file changes, without a
 * restart. A file that does not validate never replaces a working registry: the old one stays
 * and `onError` says why.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ContractRegistry } from '../domain/contracts.js';
import { IntakeError, isIntakeError } from '../errors.js';
import { parseRegistryText, readRegistrySource, type RegistrySource } from './registry-file.js';

/** What changed in a reload, shaped to be logged as is (no personal data). */
export interface RegistryReloadInfo {
  readonly file: string;
  readonly contracts: number;
  readonly devices: number;
  readonly representatives: number;
  readonly previousContracts: number;
  /** sha256 of the file now loaded. */
  readonly sha256: string;
}

/** How the watcher reports; both callbacks must not throw (a throw is swallowed and logged nowhere). */
export interface RegistryWatcherOptions {
  /** Quiet time after the last file event before the file is read, so a burst of writes is read once. Default 150 ms. */
  readonly debounceMs?: number;
  /** A new registry is in use. */
  readonly onReload?: (info: RegistryReloadInfo, registry: ContractRegistry) => void;
  /** A changed file was rejected (the previous registry stays) or the directory can no longer be watched. */
  readonly onError?: (error: IntakeError) => void;
}

/** Outcome of one reload. `registry` is the one in use afterwards. */
export type RegistryReloadResult =
  | { readonly status: 'reloaded'; readonly registry: ContractRegistry; readonly info: RegistryReloadInfo }
  | { readonly status: 'unchanged'; readonly registry: ContractRegistry }
  | { readonly status: 'rejected'; readonly registry: ContractRegistry; readonly error: IntakeError };

/**
 * Watches the registry file's directory, not the file: editors and `mv`-style atomic writes
 * replace the file with a new inode, which a watch on the old inode would never report. Any
 * event in the directory leads, after the debounce, to reading the file and comparing its
 * sha256, so unrelated files (and Kubernetes ConfigMap symlink swaps, which name `..data`)
 * cost one read and never a spurious reload.
 */
export class RegistryWatcher {
  /** The registry file as given to `open`. */
  readonly file: string;
  readonly #debounceMs: number;
  readonly #onReload: NonNullable<RegistryWatcherOptions['onReload']>;
  readonly #onError: NonNullable<RegistryWatcherOptions['onError']>;
  #current: ContractRegistry;
  /** Fingerprint of the file behind `#current`. */
  #currentSha256: string;
  /** Fingerprint of the last content read by the watch, loaded or not: a rejected file is reported once, not at every event. */
  #lastSeen: string;
  #fsWatcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Reloads run one at a time in order; a reload requested meanwhile waits for this. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(file: string, source: RegistrySource, registry: ContractRegistry, options: RegistryWatcherOptions) {
    this.file = file;
    this.#debounceMs = options.debounceMs ?? 150;
    this.#onReload = options.onReload ?? (() => undefined);
    this.#onError = options.onError ?? (() => undefined);
    this.#current = registry;
    this.#currentSha256 = source.sha256;
    this.#lastSeen = source.sha256;
  }

  /** Loads `file` (throws IntakeError('REGISTRY_INVALID') if it is unusable) and starts watching it. */
  static async open(file: string, options: RegistryWatcherOptions = {}): Promise<RegistryWatcher> {
    const source = await readRegistrySource(file);
    const registry = parseRegistryText(source.text, file);
    const watcher = new RegistryWatcher(file, source, registry, options);
    watcher.#watch();
    // The file may have changed between the read above and the watch starting; one check
    // closes that gap (and costs one read when it did not).
    watcher.#schedule();
    return watcher;
  }

  /** The registry in use now. Hold it for the length of one request so it answers consistently. */
  get current(): ContractRegistry {
    return this.#current;
  }

  /** Reads the file now (e.g. on SIGHUP or an ops action), reporting a rejection even if it was reported before. */
  reload(): Promise<RegistryReloadResult> {
    return this.#enqueue(true);
  }

  /** Stops watching; waits for a reload in progress. Further file changes are ignored. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#fsWatcher?.close();
    this.#fsWatcher = undefined;
    await this.#queue;
  }

  #watch(): void {
    // persistent: false — the watch alone must not keep a process (a CLI, a test) alive.
    const fsWatcher = watch(path.dirname(this.file), { persistent: false }, () => this.#schedule());
    fsWatcher.on('error', (error) => {
      fsWatcher.close();
      this.#fsWatcher = undefined;
      const message =
        `Stopped watching ${path.dirname(this.file)} (${error.message}); ` +
        `changes to ${this.file} are not picked up until reload() or a restart.`;
      const details = [{ path: '$', file: this.file, message: `cannot watch the directory: ${error.message}` }];
      this.#report(new IntakeError('REGISTRY_INVALID', message, { details, cause: error }));
    });
    this.#fsWatcher = fsWatcher;
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      // #reloadOnce catches what it expects; anything else still must not become an unhandled rejection.
      if (!this.#closed) this.#enqueue(false).catch((error: unknown) => this.#report(asRegistryError(error, this.file)));
    }, this.#debounceMs);
    this.#timer.unref();
  }

  #enqueue(explicit: boolean): Promise<RegistryReloadResult> {
    const run = this.#queue.then(() => this.#reloadOnce(explicit));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #reloadOnce(explicit: boolean): Promise<RegistryReloadResult> {
    let source: RegistrySource;
    try {
      source = await readRegistrySource(this.file);
    } catch (error) {
      // A missing file is usually the instant between an editor's delete and its write; the
      // write's own event retries. Reported once per distinct reason.
      return this.#reject(asRegistryError(error, this.file), `unreadable:${errorText(error)}`, explicit);
    }
    if (source.sha256 === this.#currentSha256) {
      this.#lastSeen = source.sha256;
      return { status: 'unchanged', registry: this.#current };
    }
    let registry: ContractRegistry;
    try {
      registry = parseRegistryText(source.text, this.file);
    } catch (error) {
      return this.#reject(asRegistryError(error, this.file), source.sha256, explicit);
    }
    const previous = this.#current;
    this.#current = registry;
    this.#currentSha256 = source.sha256;
    this.#lastSeen = source.sha256;
    const info: RegistryReloadInfo = {
      file: this.file,
      contracts: registry.size,
      devices: registry.contracts.reduce((sum, contract) => sum + contract.devices.length, 0),
      representatives: registry.contracts.reduce((sum, contract) => sum + contract.representatives.length, 0),
      previousContracts: previous.size,
      sha256: source.sha256,
    };
    try {
      this.#onReload(info, registry);
    } catch {
      // The registry is in use either way; a faulty listener must not undo or crash a reload.
    }
    return { status: 'reloaded', registry, info };
  }

  #reject(error: IntakeError, fingerprint: string, explicit: boolean): RegistryReloadResult {
    const repeated = fingerprint === this.#lastSeen;
    this.#lastSeen = fingerprint;
    if (explicit || !repeated) this.#report(error);
    return { status: 'rejected', registry: this.#current, error };
  }

  #report(error: IntakeError): void {
    try {
      this.#onError(error);
    } catch {
      // See #reloadOnce: reporting must not break the watcher.
    }
  }
}

function asRegistryError(error: unknown, file: string): IntakeError {
  if (isIntakeError(error)) return error;
  // Not expected (registry-file throws IntakeError), but an unknown fault must still keep the old registry.
  return new IntakeError('REGISTRY_INVALID', `Contract registry ${file} could not be loaded: ${errorText(error)}`, {
    details: [{ path: '$', file, message: errorText(error) }],
    cause: error,
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
