/**
 * YAML (and JSON, which YAML 1.2 reads too) parsed with `yaml`, keeping the document so a config
 * path can be mapped back to the line and column where it is written.
 */
import { isCollection, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue, type ConfigPath, type ConfigSource } from '@wharf/core';

export interface ParsedConfigFile {
  /** The file's data: `null` when the file holds no document (only comments). */
  readonly value: unknown;
  /** Line and column (1-based) of the value at `path`; `prefix` is prepended (`wharf` in package.json). */
  locate(path: ConfigPath): { line: number; column: number } | undefined;
}

const SYNTAX_HINTS: Record<string, string> = {
  DUPLICATE_KEY: 'each key may appear once in a mapping: remove one of them or merge the two',
  BAD_INDENT: 'check the indentation: entries of one mapping or list start in the same column',
  TAB_AS_INDENT: 'indent with spaces: YAML does not allow tabs for indentation',
  MISSING_CHAR: 'a quote or bracket opened here is never closed',
  BLOCK_AS_IMPLICIT_KEY: 'a key is missing its colon, or a value spans lines without quotes',
  MULTILINE_IMPLICIT_KEY: 'a key is missing its colon, or a value spans lines without quotes',
};

/**
 * Parses a YAML or JSON config file.
 * @throws ConfigError naming the file, with the line and column of every syntax error.
 */
export function parseConfigFile(filepath: string, text: string, prefix: ConfigPath = []): ParsedConfigFile {
  const lineCounter = new LineCounter();
  // Duplicate keys are errors (uniqueKeys is on by default); warnings are ignored.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const source: ConfigSource = { filepath };
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((error) => {
      const at = error.linePos?.[0];
      // Pretty messages end with " at line L, column C:" and a code excerpt; the location is ours to print.
      const message = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
      return {
        path: [],
        message,
        line: at?.line,
        column: at?.col,
        hint: SYNTAX_HINTS[error.code] ?? 'fix the syntax on this line (docs/configuration.md shows the format)',
      };
    });
    throw new ConfigError(issues, source, `${filepath} could not be parsed (${issues.length} syntax error${issues.length === 1 ? '' : 's'})`);
  }
  return { value: doc.toJS(), locate: (path) => locate(doc, lineCounter, [...prefix, ...path]) };
}

function locate(doc: Document, lineCounter: LineCounter, path: ConfigPath): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let key: unknown;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
      if (!pair) return undefined;
      key = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      if (segment < 0 || segment >= node.items.length) return undefined;
      key = undefined;
      node = node.items[segment];
    } else {
      return undefined;
    }
  }
  // A block mapping or list starts on the line after its key; the key is where a reader looks.
  const preferKey = !isNode(node) || (isCollection(node) && !node.flow);
  const target = preferKey && isNode(key) ? key : node;
  const offset = isNode(target) ? target.range?.[0] : undefined;
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
