/**
 * Config problems, each with the path in the file, the line where it is written (when known),
 * what was expected, and a hint. A ConfigError carries all of them at once: users fix a file in
 * one pass, not one error per start.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import type { ConfigSource } from '../spi/config.js';

export type ConfigPath = ReadonlyArray<string | number>;

export interface ConfigIssue {
  /** Where in the file: ['routing', 'rules', 0, 'match']. Empty for the file itself. */
  readonly path: ConfigPath;
  /** What is wrong, in a sentence. */
  readonly message: string;
  /** What would be right, e.g. "a string", "one of: tcp, tls, ws". */
  readonly expected?: string | undefined;
  /** The offending value, when it helps. */
  readonly value?: unknown;
  /** What to do about it. */
  readonly hint?: string | undefined;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
  /** The file it is in, when not the config file itself (a users or rules file a plugin reads). */
  readonly file?: string | undefined;
}

/** `routing.rules[0].match`, the way a person reads a path. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || '(top level)';
}

/** Fills in line and column from the source, for issues that lack them. */
export function locateIssues(issues: readonly ConfigIssue[], source: ConfigSource | undefined): ConfigIssue[] {
  return issues.map((issue) => {
    if (issue.line !== undefined || !source?.locate || (issue.file !== undefined && issue.file !== source.filepath)) return issue;
    // The exact path may not exist (a missing key): fall back to its nearest existing parent.
    for (let n = issue.path.length; n >= 0; n--) {
      const at = source.locate(issue.path.slice(0, n));
      if (at) return { ...issue, line: at.line, column: at.column };
    }
    return issue;
  });
}

function formatValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function formatIssue(issue: ConfigIssue, file?: string): string {
  const where = [issue.file ?? file, issue.line, issue.line !== undefined ? issue.column : undefined]
    .filter((x) => x !== undefined).join(':');
  let text = `${where ? `${where} ` : ''}${formatPath(issue.path)}: ${issue.message}`;
  if (issue.expected) text += `; expected ${issue.expected}`;
  if (issue.value !== undefined) text += ` (got ${formatValue(issue.value)})`;
  if (issue.hint) text += `\n    hint: ${issue.hint}`;
  return text;
}

/** The checks that could not run, as a block after the problems: `not checked: …` one per line. */
export function formatNotChecked(notChecked: readonly string[]): string {
  return notChecked.length === 0 ? '' : `\n  not checked (fix the problems above first):\n${notChecked.map((n) => `  - ${n}`).join('\n')}`;
}

export class ConfigError extends WharfError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string | undefined;
  /** Checks that could not run because of the problems listed (a plugin that did not load), each with why. */
  readonly notChecked: readonly string[];

  constructor(issues: readonly ConfigIssue[], source?: ConfigSource, summary?: string, notChecked: readonly string[] = []) {
    const located = locateIssues(issues, source);
    const file = source?.filepath;
    const head = summary ?? `${file ?? 'the configuration'} has ${located.length} problem${located.length === 1 ? '' : 's'}`;
    super(ErrorCodes.CONFIG, `${head}:\n${located.map((i) => `  - ${formatIssue(i, file)}`).join('\n')}${formatNotChecked(notChecked)}`, {
      hint: 'fix each problem listed (docs/configuration.md describes every key), then run `npx wharf config check`',
    });
    this.issues = located;
    this.file = file;
    this.notChecked = notChecked;
  }
}
