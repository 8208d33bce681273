/**
 * Why a plugin module failed to import, in words a user can act on: which package is missing and
 * the command that installs it, where a syntax error is (file:line:column), or what the module
 * threw and where. The loader puts this in the WharfError's message and hint; the error's cause
 * keeps the original.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROKER_CORE } from './one-core.js';

export interface ImportFailure {
  /** Follows "plugin X (where) failed to load: ". */
  readonly reason: string;
  readonly hint: string;
  readonly details: Record<string, unknown>;
}

/** How long the child process that locates an ES module's syntax error may take. */
const LOCATE_TIMEOUT_MS = 15_000;

export function explainImportFailure(err: unknown, moduleUrl: string): ImportFailure {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return notFound(error);
  if (error instanceof SyntaxError) return syntaxError(error, moduleUrl);
  const at = stackTop(error);
  return {
    reason: `${error.name}: ${error.message}${at ? ` (at ${at})` : ''}`,
    hint: `the module threw while it was imported${at ? ` at ${at}` : ''}: fix that, or remove the plugin from plugins`,
    details: at ? { at } : {},
  };
}

/** `Cannot find package 'x' imported from /a/b.js` (ESM), `Cannot find module 'x'` + requireStack (CJS). */
function notFound(error: Error): ImportFailure {
  const firstLine = error.message.split('\n')[0] ?? error.message;
  const match = /^Cannot find (?:package|module) '([^']+)'(?: imported from (.+))?$/.exec(firstLine);
  const missing = match?.[1];
  const importer = toPath(match?.[2] ?? (error as { requireStack?: string[] }).requireStack?.[0]);
  if (missing === undefined) return { reason: error.message, hint: 'install what the plugin imports', details: {} };
  const from = importer ? ` imported from ${importer}` : '';
  if (isPath(missing)) {
    const folder = importer ? packageFolder(importer) : undefined;
    return {
      reason: `cannot find the file ${toPath(missing) ?? missing}${from}`,
      hint: `fix the import path; if the plugin is written in TypeScript, build it first${folder ? ` (cd ${folder} && npm run build)` : ' (npm run build)'}`,
      details: { missing, importer },
    };
  }
  const pkg = packageName(missing);
  const folder = importer ? packageFolder(importer) : undefined;
  const install = `${folder ? `cd ${folder} && ` : ''}npm install ${pkg}`;
  return {
    reason: `cannot find package ${pkg}${from}`,
    hint: pkg.startsWith('@wharf/') ? wharfPackageHint(pkg, folder, install) : `install it where the plugin is: ${install}`,
    details: { missing: pkg, importer, folder },
  };
}

/** @wharf/core is always the broker's own (one-core.ts); other @wharf packages may come from this install. */
function wharfPackageHint(pkg: string, folder: string | undefined, install: string): string {
  if (pkg === '@wharf/core') return `declare it as a peer dependency: ${folder ? `cd ${folder} && ` : ''}npm install --save-peer @wharf/core`;
  const local = brokerSibling(pkg);
  return local
    ? `install it where the plugin is: ${install}, or link this broker's copy: ${folder ? `cd ${folder} && ` : ''}npm install ${local}`
    : `install it where the plugin is: ${install}`;
}

/** The folder of `pkg` as the broker's own install resolves it, if it has one. */
function brokerSibling(pkg: string): string | undefined {
  try {
    return dirname(createRequire(fileURLToPath(BROKER_CORE.entry)).resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

function syntaxError(error: SyntaxError, moduleUrl: string): ImportFailure {
  // CommonJS (and V8 for some ES modules) put "file:line\n<source>\n   ^" on top of the stack;
  // for ES modules Node 20 keeps it to itself and prints it only for an uncaught error, so a
  // child process imports the module and reads it there. Node parses a module's whole static
  // import graph before it runs any of it, so the child runs none of the plugin's code (unless the
  // broken file is imported dynamically; the child then ends within LOCATE_TIMEOUT_MS anyway).
  const location = sourceLocation(error.stack ?? '') ?? locateInChild(moduleUrl);
  const at = location ? `${location.file}:${location.line}:${location.column}` : undefined;
  return {
    reason: `SyntaxError: ${error.message}${at ? ` at ${at}` : ''}${location ? `\n    ${location.source.trim()}` : ''}`,
    hint: at ? `fix the syntax at ${at}` : 'fix the syntax error in the plugin module (run `node --check FILE` on its files to find it)',
    details: at ? { at } : {},
  };
}

interface SourceLocation { readonly file: string; readonly line: number; readonly column: number; readonly source: string }

/** Reads Node's "file:line / source line / caret" header. */
export function sourceLocation(text: string): SourceLocation | undefined {
  const lines = text.split('\n');
  for (let i = 0; i + 2 < lines.length; i++) {
    const head = /^(file:\/\/\S+|\/\S+|[A-Za-z]:\\\S+):(\d+)$/.exec(lines[i]!);
    const caret = lines[i + 2]!.indexOf('^');
    if (head && caret >= 0 && lines[i + 2]!.trim().startsWith('^')) {
      return { file: toPath(head[1]!) ?? head[1]!, line: Number(head[2]), column: caret + 1, source: lines[i + 1]! };
    }
  }
  return undefined;
}

function locateInChild(moduleUrl: string): SourceLocation | undefined {
  const script = [
    "import { register } from 'node:module';",
    `register(${JSON.stringify(new URL('./one-core-hooks.js', import.meta.url).href)}, { data: ${JSON.stringify(BROKER_CORE)} });`,
    `await import(${JSON.stringify(moduleUrl)});`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: LOCATE_TIMEOUT_MS });
  return sourceLocation(child.stderr ?? '');
}

/** The first frame of the stack outside Node itself: where the module threw. */
function stackTop(error: Error): string | undefined {
  for (const line of (error.stack ?? '').split('\n').slice(1)) {
    const frame = /^\s+at (?:.*?\()?((?:file:\/\/|\/).+?:\d+:\d+)\)?$/.exec(line);
    if (frame) return toPath(frame[1]!);
  }
  return undefined;
}

function isPath(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('file:') || isAbsolute(specifier);
}

function toPath(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.startsWith('file:') ? fileURLToPath(value.replace(/(:\d+)+$/, '')) + (/(:\d+)+$/.exec(value)?.[0] ?? '') : value;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The nearest folder above `file` with a package.json: where `npm install` must run. */
function packageFolder(file: string): string | undefined {
  let dir = dirname(file);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
