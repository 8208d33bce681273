/**
 * Schema validation with ajv, turned into ConfigIssues a person can act on: each names the path,
 * what was expected, the value found, and a hint (the schema's `description`, or "did you mean"
 * for a mistyped key). All problems are reported at once (`allErrors`).
 *
 * Two entry points share the same error formatting:
 * - validateConfig: the broker config against brokerConfigSchema (compiled once per process);
 * - checkAgainstSchema: a plugin's options or a queue type's settings against the plugin's own
 *   schema, with paths reported from where the value sits in the config file.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { closest, distance } from 'fastest-levenshtein';
import { ErrorCodes, WharfError } from '../errors.js';
import type { BrokerConfig, ConfigSource } from '../spi/config.js';
import { isPluginDefinition, type JsonSchema } from '../spi/plugin.js';
import { ConfigError, type ConfigIssue, type ConfigPath } from './issues.js';
import { brokerConfigSchema } from './schema.js';

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, whose `default`
// is the plugin function itself.
const addFormats = ajvFormats.default;

function newAjv(strictSchema: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    // Errors carry the offending data and the schema node (for `description` and `properties`).
    verbose: true,
    strict: false,
    // Our own schema must use known keywords only; plugins' schemas are taken as they are.
    strictSchema,
    // Schemas with an `$id` are not kept in the instance: two plugins may reuse an `$id`.
    addUsedSchema: false,
  });
  addFormats(ajv);
  return ajv;
}

let brokerValidator: ValidateFunction | undefined;
let pluginAjv: Ajv | undefined;
const pluginValidators = new WeakMap<object, ValidateFunction>();

/**
 * Validates a broker config and fills in every default. `raw` is not changed: plain objects and
 * arrays are copied before defaults are applied; anything else (plugin definitions, functions,
 * class instances from a JS config) is kept by reference.
 * @throws ConfigError listing every problem, located in `source` when it can say where.
 */
export function validateConfig(raw: unknown, source?: ConfigSource): BrokerConfig {
  const { config, issues } = checkConfig(raw);
  if (issues.length === 0) return config;
  throw new ConfigError(issues, source);
}

/**
 * Like validateConfig, but returns the problems instead of throwing, with the config as far as it
 * goes (defaults applied where they could be): `wharf config check` goes on to the checks the
 * problems leave possible. `config` is typed as valid but is only where `issues` is empty.
 */
export function checkConfig(raw: unknown): { config: BrokerConfig; issues: ConfigIssue[] } {
  brokerValidator ??= newAjv(true).compile(brokerConfigSchema);
  // An empty file is an empty config.
  const data = raw === undefined || raw === null ? {} : copyForDefaults(raw, new Map());
  if (brokerValidator(data)) return { config: data as BrokerConfig, issues: [] };
  return { config: data as BrokerConfig, issues: issuesFromAjv(brokerValidator.errors ?? [], data, [], 'the config') };
}

/**
 * Checks a value (a plugin's options, a queue type's settings) against a schema supplied by a
 * plugin, applying its defaults. `basePath` is where the value sits in the config file
 * (['plugins', 2, 'options']) so issues point there; `what` names it in messages
 * ('the options of plugin "@wharf/queue-queue"'). An absent value is checked as `{}`.
 * @throws WharfError PLUGIN_INVALID when the schema itself does not compile (the plugin's bug).
 */
export function checkAgainstSchema(
  schema: JsonSchema,
  value: unknown,
  basePath: ConfigPath,
  what: string,
): { value: unknown; issues: ConfigIssue[] } {
  let validate = pluginValidators.get(schema);
  if (!validate) {
    pluginAjv ??= newAjv(false);
    try {
      validate = pluginAjv.compile(schema);
    } catch (err) {
      throw new WharfError(
        ErrorCodes.PLUGIN_INVALID,
        `the JSON Schema for ${what} is invalid: ${err instanceof Error ? err.message : String(err)}`,
        { hint: 'this is a bug in the plugin, not in your config: report it to the plugin author', cause: err },
      );
    }
    pluginValidators.set(schema, validate);
  }
  const data = value === undefined ? {} : copyForDefaults(value, new Map());
  if (validate(data)) return { value: data, issues: [] };
  return { value: data, issues: issuesFromAjv(validate.errors ?? [], data, basePath, what) };
}

/** Copies plain objects and arrays (ajv's defaults are written into the data), nothing else. */
function copyForDefaults(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copyForDefaults(item, seen));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || isPluginDefinition(value)) return value;
  const out: Record<PropertyKey, unknown> = {};
  seen.set(value, out);
  for (const key of Reflect.ownKeys(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, key)) {
      out[key] = copyForDefaults((value as Record<PropertyKey, unknown>)[key], seen);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ajv errors -> ConfigIssues

type AjvError = ErrorObject<string, Record<string, unknown>, unknown>;

/** The one translation from ajv errors to issues, shared by every schema check. */
function issuesFromAjv(errors: readonly AjvError[], root: unknown, basePath: ConfigPath, what: string): ConfigIssue[] {
  const relevant = errors.filter((e) => e.keyword !== 'if'); // `then`'s own errors say what is missing
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of collapseAlternatives(relevant)) {
    const issue = toIssue(error, root, basePath, what);
    const key = JSON.stringify([issue.path, issue.message]);
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  // In the order the keys are written (for a parsed file, the order of its lines).
  const order = new Map(issues.map((issue) => [issue, dataOrder(root, issue.path.slice(basePath.length))]));
  return issues.sort((a, b) => compareOrder(order.get(a)!, order.get(b)!));
}

/** The position of each path segment among its siblings in the data; keys not present sort last. */
function dataOrder(root: unknown, path: ConfigPath): number[] {
  const out: number[] = [];
  let at: unknown = root;
  for (const part of path) {
    if (typeof at !== 'object' || at === null) {
      out.push(Number.MAX_SAFE_INTEGER);
      at = undefined;
      continue;
    }
    const index = Array.isArray(at) ? Number(part) : Object.keys(at).indexOf(String(part));
    out.push(index < 0 || Number.isNaN(index) ? Number.MAX_SAFE_INTEGER : index);
    at = (at as Record<string | number, unknown>)[part];
  }
  return out;
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * A value that fails `anyOf`/`oneOf` gets errors from every branch. Keep one branch's: drop the
 * branches whose type does not even fit the value (a string branch, for an object), then take the
 * branch with the fewest errors, the one the user most likely meant. When no branch has the right
 * type, report one "wrong type" listing the types the branches accept.
 */
function collapseAlternatives(errors: readonly AjvError[]): AjvError[] {
  let list = [...errors];
  for (;;) {
    // Deepest first, so alternatives nested in a branch are settled before the branch is judged.
    let target: AjvError | undefined;
    for (const e of list) {
      const isAlternative = e.keyword === 'anyOf' || (e.keyword === 'oneOf' && e.params['passingSchemas'] == null);
      if (isAlternative && (!target || e.schemaPath.length > target.schemaPath.length)) target = e;
    }
    if (!target) return list;
    const alt = target;
    const prefix = `${alt.schemaPath}/`;
    const branches = new Map<number, AjvError[]>();
    for (const e of list) {
      if (e === alt || !e.schemaPath.startsWith(prefix) || !isWithin(e.instancePath, alt.instancePath)) continue;
      const index = Number(e.schemaPath.slice(prefix.length).split('/')[0]);
      branches.set(index, [...(branches.get(index) ?? []), e]);
    }
    const fitting = [...branches].filter(
      ([index, errs]) =>
        !errs.some((e) => e.keyword === 'type' && e.instancePath === alt.instancePath && e.schemaPath === `${prefix}${index}/type`),
    );
    let chosen: AjvError[];
    const missing = [...branches.values()].flat();
    if (missing.length > 0 && missing.every((e) => e.keyword === 'required' && e.instancePath === alt.instancePath)) {
      // `anyOf: [{ required: [users] }, { required: [groups] }]`: one of the keys is needed, not
      // whichever branch happens to be first.
      chosen = [{ ...alt, keyword: 'requiredAnyOf', params: { keys: [...new Set(missing.map((e) => String(e.params['missingProperty'])))] } }];
    } else if (fitting.length === 0) {
      const types = new Set<string>();
      for (const branch of Array.isArray(alt.schema) ? (alt.schema as unknown[]) : []) {
        const type = (branch as JsonSchema | null)?.['type'];
        for (const t of Array.isArray(type) ? type : [type]) if (typeof t === 'string') types.add(t);
      }
      chosen = [{ ...alt, keyword: 'type', params: { type: [...types] } }];
    } else {
      chosen = fitting.reduce((best, next) => (next[1].length < best[1].length ? next : best))[1];
    }
    const dropped = new Set([...branches.values()].flat());
    list = list.flatMap((e) => (e === alt ? chosen : dropped.has(e) ? [] : [e]));
  }
}

function isWithin(pointer: string, parent: string): boolean {
  return pointer === parent || pointer.startsWith(`${parent}/`);
}

function toIssue(error: AjvError, root: unknown, basePath: ConfigPath, what: string): ConfigIssue {
  const path = [...basePath, ...splitPointer(error.instancePath, root)];
  const node: JsonSchema = error.parentSchema ?? {};
  const described = typeof node['description'] === 'string' ? node['description'] : undefined;
  const hint = described ?? `see the documentation of ${what}`;
  const params = error.params;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const allowed = Object.keys((node['properties'] as JsonSchema | undefined) ?? {}).filter((k) => !k.startsWith('$'));
      return {
        path: [...path, key],
        message: `unknown key "${key}"`,
        value: (error.data as Record<string, unknown> | undefined)?.[key],
        hint: suggestKey(key, allowed),
      };
    }
    case 'required': {
      const key = String(params['missingProperty']);
      const property = (node['properties'] as Record<string, JsonSchema> | undefined)?.[key];
      const about = typeof property?.['description'] === 'string' ? property['description'] : undefined;
      return { path: [...path, key], message: `missing required key "${key}"`, hint: about ?? hint };
    }
    case 'requiredAnyOf': {
      const keys = (params['keys'] as string[]).map((k) => `"${k}"`);
      return { path, message: `needs ${keys.length === 2 ? `${keys[0]} or ${keys[1]}` : `one of ${keys.join(', ')}`}`, hint };
    }
    case 'type': {
      const expected = describeTypes(params['type']);
      if (error.instancePath === '') return { path, message: `${what} must be ${expected}`, value: error.data, hint };
      return { path, message: 'wrong type', expected, value: error.data, hint };
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[] | undefined) ?? [];
      return {
        path,
        message: 'not one of the allowed values',
        expected: `one of: ${allowed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`,
        value: error.data,
        hint,
      };
    }
    case 'const':
      return { path, message: 'not the allowed value', expected: JSON.stringify(params['allowedValue']), value: error.data, hint };
    case 'format': {
      if (params['format'] === 'regex') {
        return { path, message: 'not a valid regular expression', value: error.data, hint: regexProblem(error.data, described) };
      }
      return { path, message: `not a valid ${String(params['format'])}`, value: error.data, hint };
    }
    case 'minLength':
      if (params['limit'] === 1) return { path, message: 'must not be empty', value: error.data, hint };
      return { path, message: error.message ?? 'too short', value: error.data, hint };
    default:
      return { path, message: error.message ?? `fails the "${error.keyword}" check`, value: error.data, hint };
  }
}

/** '/routing/rules/0/match' -> ['routing', 'rules', 0, 'match']: numbers only for array indexes. */
function splitPointer(pointer: string, root: unknown): Array<string | number> {
  if (!pointer) return [];
  let at: unknown = root;
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const part = Array.isArray(at) && /^\d+$/.test(segment) ? Number(segment) : segment;
      at = typeof at === 'object' && at !== null ? (at as Record<string | number, unknown>)[part] : undefined;
      return part;
    });
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  null: 'nothing (null)',
};

function describeTypes(type: unknown): string {
  const names = Array.isArray(type) ? type.map(String) : String(type).split(',');
  const words = [...new Set(names.map((t) => TYPE_WORDS[t] ?? t))];
  return words.length <= 1 ? (words[0] ?? 'another type') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function suggestKey(key: string, allowed: readonly string[]): string {
  if (allowed.length === 0) return 'remove it: no keys are allowed here';
  const lower = allowed.map((k) => k.toLowerCase());
  const best = closest(key.toLowerCase(), lower);
  const match = allowed[lower.indexOf(best)];
  if (match !== undefined && distance(key.toLowerCase(), best) <= Math.max(1, Math.floor(Math.max(key.length, best.length) / 3))) {
    return `did you mean "${match}"?`;
  }
  return `allowed keys: ${allowed.join(', ')}`;
}

function regexProblem(value: unknown, described: string | undefined): string {
  const text = String(value);
  if (/[^\\]\\Z/.test(text)) return 'JavaScript regular expressions have no \\Z: use $ to match the end';
  try {
    new RegExp(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return described ? `${reason}; ${described}` : reason;
  }
  return described ?? 'write a JavaScript regular expression';
}
