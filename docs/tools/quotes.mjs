#!/usr/bin/env node
// @ts-check
/**
 * Keeps the code in the guides true: a code block preceded by
 *
 *   <!-- quote: examples/queue-priority/src/index.ts#plugin -->
 *
 * must be exactly that file (a path relative to docs/), or the part of it between the lines
 * `// #region plugin` and `// #endregion plugin` (other region markers left out, common
 * indentation removed). A block preceded by
 *
 *   <!-- contract: core/src/spi/queue.ts -->
 *
 * is a condensed copy of core's interfaces: each interface it shows must have the same members as
 * the one of that name in the file (a path relative to the repo root), so a member added to or
 * removed from core's contract shows up here.
 *
 *   node docs/tools/quotes.mjs           checks every guide, exits 1 on a difference
 *   node docs/tools/quotes.mjs --write   rewrites the quoted blocks from the files
 *
 * docs/tools/test/quotes.test.js runs the check with the other tests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const docs = new URL('../', import.meta.url);
const root = new URL('../../', import.meta.url);

/** The guides whose code blocks are checked (relative to docs/). */
export const GUIDES = ['writing-a-queue-type.md'];

const MARKER = /^<!-- (quote|contract): (\S+?) -->\n```[a-z]*\n([\s\S]*?)```$/gm;

/**
 * @typedef {object} Block
 * @property {'quote' | 'contract'} kind
 * @property {string} target the path (and #region) named by the marker
 * @property {string} body the code block's text, ending with a newline
 * @property {number} line where the marker is (1-based)
 */

/**
 * The marked blocks of a guide's text.
 * @param {string} text
 * @returns {Block[]}
 */
export function blocksOf(text) {
  return [...text.matchAll(MARKER)].map((m) => ({
    kind: /** @type {'quote' | 'contract'} */ (m[1]),
    target: /** @type {string} */ (m[2]),
    body: /** @type {string} */ (m[3]),
    line: text.slice(0, m.index).split('\n').length,
  }));
}

/**
 * What a quote marker names: the whole file, or one region of it.
 * @param {string} target `path` or `path#region`, relative to docs/
 * @returns {string}
 */
export function quoted(target) {
  const [path, region] = /** @type {[string, string | undefined]} */ (target.split('#'));
  const text = readFileSync(new URL(path, docs), 'utf8');
  const lines = text.split('\n');
  let picked;
  if (region === undefined) picked = lines.filter((line) => !/^\s*\/\/ #(end)?region\b/.test(line));
  else {
    const start = lines.findIndex((line) => line.trim() === `// #region ${region}`);
    const end = lines.findIndex((line, i) => i > start && line.trim() === `// #endregion ${region}`);
    if (start < 0 || end < 0) throw new Error(`${path} has no region "${region}" (// #region ${region} … // #endregion ${region})`);
    picked = lines.slice(start + 1, end).filter((line) => !/^\s*\/\/ #(end)?region\b/.test(line));
  }
  while (picked.length > 0 && picked[picked.length - 1] === '') picked.pop();
  const indent = Math.min(...picked.filter((l) => l.trim() !== '').map((l) => /** @type {string} */ (l.match(/^ */)?.[0]).length));
  return picked.map((l) => l.slice(indent)).join('\n') + '\n';
}

/**
 * The members of each interface in TypeScript text: `{ Name: ['a', 'b'] }`. Enough of a parser
 * for core's contract files and the guide's condensed copies: top-level members of `interface`
 * bodies, one per line or separated by `;`, comments ignored.
 * @param {string} text
 * @returns {Record<string, string[]>}
 */
export function interfaceMembers(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  /** @type {Record<string, string[]>} */
  const found = {};
  for (const m of code.matchAll(/interface\s+(\w+)(?:<[^{]*>)?(?:\s+extends\s+[^{]+)?\s*\{/g)) {
    let depth = 1;
    let member = '';
    /** @type {string[]} */
    const members = [];
    const flush = () => {
      const name = member.trim().match(/^(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*[(:<]/);
      if (name) members.push(/** @type {string} */ (name[1]));
      member = '';
    };
    for (let i = /** @type {number} */ (m.index) + m[0].length; i < code.length; i++) {
      const c = /** @type {string} */ (code[i]);
      const opens = '{([<'.includes(c);
      const closes = '})]'.includes(c) || (c === '>' && code[i - 1] !== '=');
      if (closes && --depth === 0) {
        flush();
        break;
      }
      if (depth === 1) {
        if (c === ';' || c === '\n') flush();
        else member += c;
      }
      if (opens) depth++;
    }
    found[/** @type {string} */ (m[1])] = [...new Set(members)].sort();
  }
  return found;
}

/**
 * Every difference between the guides and the code, as messages.
 * @returns {string[]}
 */
export function check() {
  const problems = [];
  for (const guide of GUIDES) {
    const text = readFileSync(new URL(guide, docs), 'utf8');
    for (const block of blocksOf(text)) {
      const where = `docs/${guide}:${block.line}`;
      if (block.kind === 'quote') {
        if (quoted(block.target) !== block.body) problems.push(`${where}: the block differs from ${block.target}: run \`node docs/tools/quotes.mjs --write\``);
        continue;
      }
      const shown = interfaceMembers(block.body);
      const real = interfaceMembers(readFileSync(new URL(block.target, root), 'utf8'));
      for (const [name, members] of Object.entries(shown)) {
        const actual = real[name];
        if (actual === undefined) problems.push(`${where}: ${block.target} has no interface ${name}`);
        else if (actual.join() !== members.join()) {
          problems.push(`${where}: interface ${name} shows [${members.join(', ')}] but ${block.target} has [${actual.join(', ')}]`);
        }
      }
    }
  }
  return problems;
}

/** Rewrites every quoted block of the guides from its file. */
export function write() {
  for (const guide of GUIDES) {
    const url = new URL(guide, docs);
    const text = readFileSync(url, 'utf8');
    const updated = text.replace(MARKER, (whole, kind, target) => {
      if (kind !== 'quote') return whole;
      const fence = /** @type {string} */ (whole.split('\n')[1]);
      return `<!-- quote: ${target} -->\n${fence}\n${quoted(target)}\`\`\``;
    });
    writeFileSync(url, updated);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--write')) write();
  const problems = check();
  for (const p of problems) console.error(p);
  if (problems.length > 0) process.exit(1);
  console.log(`${GUIDES.join(', ')}: every quoted block matches its file`);
}
