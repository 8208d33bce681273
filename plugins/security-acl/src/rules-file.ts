/**
 * ACL rules from a YAML file (`rules: [...]`, the same format as the plugin options), checked with
 * core's schema checker so problems read like config problems, with their lines.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { checkAgainstSchema, ConfigError, type ConfigIssue, type ConfigPath, type ConfigSource } from '@wharf/core';
import { rulesFileSchema, type RuleSpec } from './options.js';
import { compileRules, type CompiledRule } from './rule.js';

export function parseRulesFile(text: string, filepath: string): CompiledRule[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const source: ConfigSource = {
    filepath,
    locate(path: ConfigPath) {
      const node = doc.getIn([...path], true) as { range?: [number, number, number] } | undefined;
      const pos = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
      return pos ? { line: pos.line, column: pos.col } : undefined;
    },
  };
  const syntax: ConfigIssue[] = doc.errors.map((error) => {
    const pos = error.linePos?.[0];
    return { path: [], message: error.message.split('\n')[0]!, ...(pos ? { line: pos.line, column: pos.col } : {}) };
  });
  if (syntax.length > 0) throw new ConfigError(syntax, source);
  const checked = checkAgainstSchema(rulesFileSchema, doc.toJS() ?? {}, [], `the ACL rules file ${filepath}`);
  if (checked.issues.length > 0) throw new ConfigError(checked.issues, source);
  const specs = (checked.value as { rules: RuleSpec[] }).rules;
  const compiled = compileRules(specs, (i) => `${filepath}${lineOf(source, i)} rules[${i}]`, (i) => ['rules', i]);
  if (compiled.issues.length > 0) throw new ConfigError(compiled.issues, source);
  return compiled.rules;
}

function lineOf(source: ConfigSource, index: number): string {
  const at = source.locate?.(['rules', index]);
  return at ? `:${at.line}` : '';
}

export async function readRulesFile(filepath: string): Promise<CompiledRule[]> {
  return parseRulesFile(await readFile(filepath, 'utf8'), filepath);
}
