/**
 * A file a plugin reads at start and again whenever it changes (a users file, ACL rules). The first
 * load throws, so a broker never starts on a missing or broken file; a later re-read that fails is
 * logged and the contents already in force stay, so a slip while someone edits by hand never locks
 * everybody out, nor lets anybody in. Re-reads run one after another, so an older read never lands
 * after a newer one.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { watchFile, type FileWatch } from './watch-file.js';

export interface LiveFileOptions<T> {
  readonly filepath: string;
  /** What the file holds, for log lines: "users", "ACL rules". */
  readonly what: string;
  /** Parses the text; throws (a ConfigError, ideally) when it is invalid. */
  readonly parse: (text: string, filepath: string) => T;
  /** Receives each value read: the first load's (`reloaded` false) and every good re-read's. */
  readonly apply: (value: T, reloaded: boolean) => void;
  readonly logger: Logger;
  /** Log fields that summarise a value, e.g. `{ users: 3 }`. */
  readonly summary?: (value: T) => Record<string, unknown>;
  /** Added to the error when the file does not exist at the first load. */
  readonly missingHint?: string;
}

export class LiveFile<T> {
  private lastText: string | undefined;
  private watcher: FileWatch | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LiveFileOptions<T>) {}

  get filepath(): string {
    return this.options.filepath;
  }

  /** First load. @throws when the file is missing, unreadable or invalid. */
  async load(): Promise<void> {
    const { filepath, what, missingHint } = this.options;
    let text: string;
    try {
      text = await readFile(filepath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || missingHint === undefined) throw err;
      throw new Error(`the ${what} file ${filepath} does not exist; ${missingHint}`, { cause: err });
    }
    this.accept(text, false);
  }

  watch(debounceMs: number): void {
    this.watcher ??= watchFile(this.options.filepath, () => void this.reload(), { debounceMs });
  }

  /** Re-reads the file; never throws. Resolves true when new contents took effect. */
  reload(): Promise<boolean> {
    const next = this.queue.then(() => this.readAgain());
    this.queue = next;
    return next;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async readAgain(): Promise<boolean> {
    const { filepath, what, logger } = this.options;
    try {
      const text = await readFile(filepath, 'utf8');
      if (text === this.lastText) return false;
      this.accept(text, true);
      return true;
    } catch (err) {
      logger.error({ file: filepath, err: (err as Error).message }, `${what} file unreadable or invalid; keeping the ${what} in force`);
      return false;
    }
  }

  private accept(text: string, reloaded: boolean): void {
    const { filepath, what, parse, apply, logger, summary } = this.options;
    const value = parse(text, filepath);
    apply(value, reloaded);
    this.lastText = text;
    logger.info({ file: filepath, ...(summary?.(value) ?? {}) }, `${what} ${reloaded ? 'reloaded' : 'loaded'}`);
  }
}
