/**
 * The users the authenticator knows: loaded from the file at start (a missing or invalid file stops
 * the start), then re-read whenever the file changes. Core's LiveFile keeps the users already loaded
 * when a re-read fails (a YAML slip while someone edits by hand), so a typo never locks everybody
 * out — nor lets anybody in.
 */
import { LiveFile, type Logger } from '@wharf/core';
import { parseUsersFile, type UserEntry } from './users-file.js';

export class UserStore {
  private users: ReadonlyMap<string, UserEntry> = new Map();
  private readonly listeners: Array<() => void> = [];
  private readonly file: LiveFile<ReadonlyMap<string, UserEntry>>;

  constructor(readonly filepath: string, logger: Logger) {
    this.file = new LiveFile({
      filepath,
      what: 'users',
      parse: parseUsersFile,
      apply: (users, reloaded) => {
        this.users = users;
        if (reloaded) for (const listener of this.listeners) listener();
      },
      summary: (users) => ({ users: users.size }),
      missingHint: 'create it with `npx wharf users add NAME --group GROUP`',
      logger,
    });
  }

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
  load(): Promise<void> {
    return this.file.load();
  }

  watch(debounceMs: number): void {
    this.file.watch(debounceMs);
  }

  /** Re-reads the file; keeps the current users when it cannot. Never throws. */
  reload(): Promise<boolean> {
    return this.file.reload();
  }

  close(): void {
    this.file.close();
  }
}
