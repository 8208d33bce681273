/**
 * @wharf/security-acl: who may do what. Ordered regular-expression rules give users and groups the
 * rights create, read, write and admin on destinations; `deny` wins over `allow`; no rule, no
 * right. Rules come from the options and/or a file that is re-read when it changes.
 */
import { definePlugin } from '@wharf/core';
import { AclRules } from './acl-rules.js';
import { aclOptionsSchema, PLUGIN_NAME, type AclOptions } from './options.js';

export { AclAuthorizer, type Explanation, type RuleVerdict } from './acl-authorizer.js';
export { AclRules, compileOptionRules, loadAcl } from './acl-rules.js';
export { CompiledRule, compileRules, escapeRegex } from './rule.js';
export { isPlaceholderName, PLACEHOLDER_NAME } from './names.js';
export { parseRulesFile, readRulesFile } from './rules-file.js';
export { aclOptionsSchema, PLUGIN_NAME, ruleSchema, type AclOptions, type RuleSpec } from './options.js';

export default definePlugin<AclOptions>(
  {
    kind: 'security',
    name: PLUGIN_NAME,
    core: '^0.1.0',
    optionsSchema: aclOptionsSchema,
    description: 'authorization: regex rules that allow and deny create, read, write and admin per user and group',
  },
  (ctx) => {
    const rules = new AclRules(ctx.options, ctx.configDir, ctx.logger);
    ctx.authorizer(rules.authorizer);
    ctx.onStart(async () => {
      await rules.load();
      if (ctx.options.watch) rules.watch(ctx.options.watchDebounceMs);
    });
    ctx.onStop(() => rules.close());
  },
);
