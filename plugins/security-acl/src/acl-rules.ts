/**
 * Where the authorizer's rules come from: the plugin options (fixed), then the rules file (when
 * one is named), re-read when it changes. A re-read that fails is logged and the rules already in
 * force stay; a good one replaces them and core drops its cached answers (Authorizer.onChange).
 */
import { resolve } from 'node:path';
import { ConfigError, LiveFile, type Logger } from '@wharf/core';
import { AclAuthorizer } from './acl-authorizer.js';
import type { AclOptions } from './options.js';
import { compileRules, type CompiledRule } from './rule.js';
import { parseRulesFile } from './rules-file.js';

/** Compiles the rules written in the options. @throws ConfigError naming each bad rule. */
export function compileOptionRules(options: Pick<AclOptions, 'rules'>): CompiledRule[] {
  const { rules, issues } = compileRules(options.rules, (i) => `options.rules[${i}]`, (i) => ['options', 'rules', i], true);
  if (issues.length > 0) throw new ConfigError(issues, undefined, 'the ACL rules in the plugin options are invalid');
  return rules;
}

export class AclRules {
  readonly authorizer: AclAuthorizer;
  readonly filepath: string | undefined;
  private readonly fixed: readonly CompiledRule[];
  private readonly file: LiveFile<CompiledRule[]> | undefined;

  constructor(options: Pick<AclOptions, 'rules' | 'file'>, configDir: string, logger: Logger) {
    this.fixed = compileOptionRules(options);
    this.filepath = options.file === undefined ? undefined : resolve(configDir, options.file);
    this.authorizer = new AclAuthorizer(this.fixed);
    this.file = this.filepath === undefined ? undefined : new LiveFile({
      filepath: this.filepath,
      what: 'ACL rules',
      parse: parseRulesFile,
      apply: (rules) => this.authorizer.setRules([...this.fixed, ...rules]),
      summary: () => ({ rules: this.authorizer.ruleCount }),
      logger,
    });
  }

  /** Reads the rules file, if any. @throws when it is missing or invalid (the start fails). */
  async load(): Promise<void> {
    await this.file?.load();
  }

  watch(debounceMs: number): void {
    this.file?.watch(debounceMs);
  }

  /** Re-reads the file, one reload at a time; never throws. Resolves true when the rules changed. */
  reload(): Promise<boolean> {
    return this.file?.reload() ?? Promise.resolve(false);
  }

  close(): void {
    this.file?.close();
  }
}

/** The rules a config's ACL options stand for, loaded once (for `wharf acl explain`). */
export async function loadAcl(options: Pick<AclOptions, 'rules' | 'file'>, configDir: string, logger: Logger): Promise<AclRules> {
  const rules = new AclRules(options, configDir, logger);
  await rules.load();
  return rules;
}
