/**
 * The users the authenticator knows: loaded from the file at start (a missing or invalid file stops
 * the start), then re-read whenever the file changes. A re-read that fails (a YAML slip while
 * someone edits by hand) is logged and the users already loaded stay, so a typo never locks
 * everybody out — nor lets anybody in.
 */
import { readFile } from 'node:fs/promises';
import { watchFile, type FileWatch, type Logger } from '@wharf/core';
import { parseUsersFile, type UserEntry } from './users-file.js';

export class UserStore {
  private users: ReadonlyMap<string, UserEntry> = new Map();
  private lastText: string | undefined;
  private watcher: FileWatch | undefined;
  private readonly listeners: Array<() => void> = [];
  /** Reloads run one after another, so an older read never lands after a newer one. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly filepath: string, private readonly logger: Logger) {}

  get(name: string): UserEntry | undefined {
    return this.users.get(name);
  }

  get size(): number {
    return this.users.size;
  }

  /** The first entry with a password: its scrypt parameters make the decoy for unknown names. */
  anyPassword(): UserEntry['password'] {
    for (const user of this.users.values()) if (user.password) return user.password;
    return undefined;
  }

  /** Called after every successful reload. */
  onReload(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** First load: throws (ConfigError or the read error) so the broker does not start without users. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.filepath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new Error(`the users file ${this.filepath} does not exist; create it with \`npx wharf users add NAME --group GROUP\``, { cause: err });
    }
    this.users = parseUsersFile(text, this.filepath);
    this.lastText = text;
    this.logger.info({ file: this.filepath, users: this.users.size }, 'users loaded');
  }

  watch(debounceMs: number): void {
    this.watcher ??= watchFile(this.filepath, () => void this.reload(), { debounceMs });
  }

  /** Re-reads the file; keeps the current users when it cannot. Never throws. */
  reload(): Promise<boolean> {
    const next = this.queue.then(() => this.readAgain());
    this.queue = next;
    return next;
  }

  private async readAgain(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(this.filepath, 'utf8');
    } catch (err) {
      this.logger.error({ file: this.filepath, err: (err as Error).message }, 'users file unreadable; keeping the users loaded before');
      return false;
    }
    if (text === this.lastText) return false;
    try {
      this.users = parseUsersFile(text, this.filepath);
    } catch (err) {
      this.logger.error({ file: this.filepath, err: (err as Error).message }, 'users file invalid; keeping the users loaded before');
      return false;
    }
    this.lastText = text;
    this.logger.info({ file: this.filepath, users: this.users.size }, 'users reloaded');
    for (const listener of this.listeners) listener();
    return true;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
