/**
 * The problems one check of a config finds, gathered so that a single run reports them all (a
 * missing plugin does not hide a bad listener option), with the checks they kept from running.
 */
import { WharfError } from '../errors.js';
import { ConfigError, formatNotChecked, type ConfigIssue, type ConfigPath } from '../config/issues.js';
import type { ConfigSource } from '../spi/config.js';

export class Problems {
  private readonly issues: ConfigIssue[] = [];
  private readonly notChecked: string[] = [];
  /** Errors that were not config issues (a plugin that failed to load), kept whole. */
  private readonly errors: WharfError[] = [];

  constructor(private readonly source: ConfigSource | undefined) {}

  get empty(): boolean {
    return this.issues.length === 0;
  }

  /** Top-level sections with a problem (`listeners`, `routing`…): checks that read them skip them. */
  sectionsWithIssues(): Set<string> {
    return new Set(this.issues.map((issue) => String(issue.path[0] ?? '')));
  }

  /**
   * Whether the value at `path` has a problem, in it or in what holds it (`routing` not being a
   * mapping is a problem of every rule). The top level itself does not count.
   */
  hasProblemsAt(path: ConfigPath): boolean {
    return this.issues.some((issue) => {
      const n = Math.min(issue.path.length, path.length);
      return n > 0 && issue.path.slice(0, n).every((part, i) => part === path[i]);
    });
  }

  /** Indexes of the entries of a list section (`plugins`) with a problem. */
  entriesWithIssues(section: string): number[] {
    return this.issues.filter((issue) => issue.path[0] === section && typeof issue.path[1] === 'number').map((issue) => issue.path[1] as number);
  }

  add(issues: readonly ConfigIssue[]): void {
    this.issues.push(...issues);
  }

  /**
   * A WharfError at `path`: a ConfigError adds its own issues (those of another file, such as a
   * users file a plugin read, with that file's name); any other becomes one issue (its
   * message and hint) and is kept, so that when it is the only problem it is thrown as it is.
   * `where`, when the message repeats it in parentheses, is dropped from the issue's text (the
   * issue shows the line itself).
   */
  addError(err: WharfError, path: ConfigPath, where?: string): void {
    if (err instanceof ConfigError) {
      // Issues of another file (a users file) keep that file's name.
      const other = err.file !== undefined && err.file !== this.source?.filepath ? err.file : undefined;
      this.add(other ? err.issues.map((issue) => ({ ...issue, file: issue.file ?? other })) : err.issues);
      this.notChecked.push(...err.notChecked);
      return;
    }
    this.errors.push(err);
    const message = where ? err.message.replace(` (${where})`, '') : err.message;
    this.issues.push({ path, message: `${message} [${err.code}]`, hint: err.hint });
  }

  /** A check that could not run, and why: "listener options of protocol stomp: …". */
  skip(what: string): void {
    if (!this.notChecked.includes(what)) this.notChecked.push(what);
  }

  /**
   * The error to throw: the one plugin error as it is (its code, cause and hint) when it is the
   * only problem, else a ConfigError listing every problem; with the checks that did not run.
   */
  toError(): WharfError {
    const only = this.errors[0];
    if (this.issues.length === 1 && only !== undefined) {
      if (this.notChecked.length === 0) return only;
      // The same error with the skipped checks added to its text: its cause is the plugin's own
      // (the missing package, the syntax error), not a copy of itself, so callers that look at
      // `cause` (wharf plugin check, the loader tests) see what went wrong.
      return new WharfError(only.code, `${only.message}${formatNotChecked(this.notChecked)}`, {
        ...(only.cause !== undefined ? { cause: only.cause } : {}), ...(only.hint ? { hint: only.hint } : {}), details: only.details,
      });
    }
    return new ConfigError(this.issues, this.source, undefined, this.notChecked);
  }

  /** @throws the problems found, if any. */
  throwIfAny(): void {
    if (!this.empty) throw this.toError();
  }
}
