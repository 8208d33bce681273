/**
 * Core's shape (issue 14): no import circle among core/src/mqm's modules (type-only imports count:
 * a circle of types is still a circle of concerns), and no file in core/src much over 400 lines.
 * Read from the TypeScript sources next to the compiled tests.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const MAX_LINES = 420;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative modules a file imports or re-exports (`import type` included), as source paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/g)) {
    found.push(resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')));
  }
  return found;
}

/** One import circle among `files`, as a list of paths, or undefined. */
function findCircle(files: readonly string[]): string[] | undefined {
  const inside = new Set(files);
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'open');
    path.push(file);
    for (const next of importsOf(file)) {
      if (!inside.has(next)) continue;
      const circle = visit(next);
      if (circle) return circle;
    }
    path.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of files) {
    const circle = visit(file);
    if (circle) return circle;
  }
  return undefined;
}

describe('core structure', () => {
  it('finds a circle when there is one, type-only imports included (the walker works)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-circle-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
      writeFileSync(join(dir, 'b.ts'), "import type {\n  C,\n} from './c.js';\nexport const b = 1;\n");
      writeFileSync(join(dir, 'c.ts'), "export type C = number;\nexport { a } from './a.js';\n");
      expect(findCircle(sourceFiles(dir))?.map((f) => relative(dir, f))).to.deep.equal(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has no import circle in core/src/mqm', () => {
    const circle = findCircle(sourceFiles(join(SRC, 'mqm')));
    expect(circle?.map((f) => relative(SRC, f)).join(' -> '), 'an import circle').to.equal(undefined);
  });

  it(`has no file in core/src over ${MAX_LINES} lines`, () => {
    const long = sourceFiles(SRC)
      .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).to.deep.equal([]);
  });
});
