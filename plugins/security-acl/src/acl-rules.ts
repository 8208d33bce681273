/**
 * Where the authorizer's rules come from: the plugin options (fixed), then the rules file (when
 * one is named), re-read when it changes. A re-read that fails is logged and the rules already in
 * force stay; a good one replaces them and core drops its cached answers (Authorizer.onChange).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, watchFile, type FileWatch, type Logger } from '@wharf/core';
import { AclAuthorizer } from './acl-authorizer.js';
import type { AclOptions } from './options.js';
import { compileRules, type CompiledRule } from './rule.js';
import { parseRulesFile } from './rules-file.js';

/** Compiles the rules written in the options. @throws ConfigError naming each bad rule. */
export function compileOptionRules(options: Pick<AclOptions, 'rules'>): CompiledRule[] {
  const { rules, issues } = compileRules(options.rules, (i) => `options.rules[${i}]`, (i) => ['options', 'rules', i]);
  if (issues.length > 0) throw new ConfigError(issues, undefined, 'the ACL rules in the plugin options are invalid');
  return rules;
}

export class AclRules {
  readonly authorizer: AclAuthorizer;
  readonly filepath: string | undefined;
  private readonly fixed: readonly CompiledRule[];
  private lastText: string | undefined;
  private watcher: FileWatch | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: Pick<AclOptions, 'rules' | 'file'>, configDir: string, private readonly logger: Logger) {
    this.fixed = compileOptionRules(options);
    this.filepath = options.file === undefined ? undefined : resolve(configDir, options.file);
    this.authorizer = new AclAuthorizer(this.fixed);
  }

  /** Reads the rules file, if any. @throws when it is missing or invalid (the start fails). */
  async load(): Promise<void> {
    if (this.filepath === undefined) return;
    const text = await readFile(this.filepath, 'utf8');
    this.authorizer.setRules([...this.fixed, ...parseRulesFile(text, this.filepath)]);
    this.lastText = text;
    this.logger.info({ file: this.filepath, rules: this.authorizer.ruleCount }, 'ACL rules loaded');
  }

  watch(debounceMs: number): void {
    if (this.filepath === undefined) return;
    this.watcher ??= watchFile(this.filepath, () => void this.reload(), { debounceMs });
  }

  /** Re-reads the file, one reload at a time; never throws. Resolves true when the rules changed. */
  reload(): Promise<boolean> {
    const next = this.queue.then(() => this.readAgain());
    this.queue = next;
    return next;
  }

  private async readAgain(): Promise<boolean> {
    const filepath = this.filepath;
    if (filepath === undefined) return false;
    try {
      const text = await readFile(filepath, 'utf8');
      if (text === this.lastText) return false;
      this.authorizer.setRules([...this.fixed, ...parseRulesFile(text, filepath)]);
      this.lastText = text;
      this.logger.info({ file: filepath, rules: this.authorizer.ruleCount }, 'ACL rules reloaded');
      return true;
    } catch (err) {
      this.logger.error({ file: filepath, err: (err as Error).message }, 'ACL rules file unreadable or invalid; keeping the rules in force');
      return false;
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

/** The rules a config's ACL options stand for, loaded once (for `wharf acl explain`). */
export async function loadAcl(options: Pick<AclOptions, 'rules' | 'file'>, configDir: string, logger: Logger): Promise<AclRules> {
  const rules = new AclRules(options, configDir, logger);
  await rules.load();
  return rules;
}
