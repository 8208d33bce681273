/** The plugin's options and the rule format (see README.md for the table). */
import { ALL_RIGHTS, type JsonSchema, type Right } from '@wharf/core';

/** The plugin's name, as `wharf acl explain` finds it among the config's plugins. */
export const PLUGIN_NAME = 'security-acl';

export interface RuleSpec {
  /** A regular expression searched for in the destination name; `${user}` and `${group}` stand for the caller. */
  readonly match: string;
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
  readonly allow?: readonly Right[];
  readonly deny?: readonly Right[];
}

export interface AclOptions {
  readonly rules: readonly RuleSpec[];
  /** More rules from a YAML file (`rules: [...]`), relative to the config file, re-read when it changes. */
  readonly file?: string;
  readonly watch: boolean;
  readonly watchDebounceMs: number;
}

const rights: JsonSchema = {
  type: 'array',
  uniqueItems: true,
  items: { enum: [...ALL_RIGHTS], description: 'a right: create, read, write or admin' },
};

export const ruleSchema: JsonSchema = {
  type: 'object',
  description: 'a rule: { match: <regex>, users?: [...], groups?: [...], allow?: [rights], deny?: [rights] }',
  required: ['match'],
  anyOf: [{ required: ['users'] }, { required: ['groups'] }],
  properties: {
    match: {
      type: 'string',
      format: 'regex',
      description: 'a regular expression searched for in the destination name (anchor it with ^); ${user} and ${group} stand for the caller, escaped',
    },
    users: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'user names this rule applies to; "*" is everyone, anonymous clients included' },
    groups: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'groups this rule applies to; "*" is everyone' },
    allow: { ...rights, description: 'rights this rule gives: create, read, write, admin' },
    deny: { ...rights, description: 'rights this rule takes away, whatever any rule allows' },
  },
  additionalProperties: false,
};

export const aclOptionsSchema: JsonSchema = {
  type: 'object',
  properties: {
    rules: { type: 'array', default: [], items: ruleSchema, description: 'the rules; a right is allowed by some matching rule and denied by none' },
    file: { type: 'string', minLength: 1, description: 'a YAML file with more rules (rules: [...]), relative to the config file, re-read when it changes' },
    watch: { type: 'boolean', default: true, description: 're-read the rules file when it changes' },
    watchDebounceMs: { type: 'integer', minimum: 0, default: 100, description: 'quiet time after a change before the rules file is re-read, in ms' },
  },
  additionalProperties: false,
};

/** The rules file: one key. */
export const rulesFileSchema: JsonSchema = {
  type: 'object',
  required: ['rules'],
  properties: { rules: { type: 'array', items: ruleSchema, description: 'the rules, as in the plugin options' } },
  additionalProperties: false,
};
