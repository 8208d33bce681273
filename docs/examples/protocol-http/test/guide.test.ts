/**
 * docs/writing-a-protocol-adapter.md shows the examples' real code: every code block marked
 * `<!-- quote: <path under docs/> -->` must appear in that file, line for line (indentation aside;
 * a `// …`, `# …` or `…` line marks an elision between excerpts, which must appear in order).
 * When the code changes, this fails until the guide follows.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOCS = fileURLToPath(new URL('../../../../', import.meta.url));
const GUIDE = readFileSync(`${DOCS}writing-a-protocol-adapter.md`, 'utf8');
const QUOTE = /<!-- quote: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g;
const ELISION = /^(\/\/|#)? ?…$/;

/** Where the lines of `excerpt` appear one after another in `file`, from line `from`; -1 if they do not. */
function find(file: readonly string[], excerpt: readonly string[], from: number): number {
  for (let start = from; start + excerpt.length <= file.length; start++) {
    if (excerpt.every((line, i) => file[start + i] === line)) return start;
  }
  return -1;
}

const quotes = [...GUIDE.matchAll(QUOTE)].map((m) => ({ path: m[1]!, text: m[2]! }));

describe('docs/writing-a-protocol-adapter.md quotes the examples as they are', () => {
  it('marks its quotes', () => {
    expect(quotes.length).to.be.at.least(20);
  });

  for (const [n, { path, text }] of quotes.entries()) {
    it(`quote ${n + 1} (${path}, "${text.split('\n')[0]!.trim().slice(0, 50)}") is in the file`, () => {
      const file = readFileSync(`${DOCS}${path}`, 'utf8').split('\n').map((l) => l.trim());
      const excerpts: string[][] = [[]];
      for (const line of text.split('\n')) {
        if (ELISION.test(line.trim())) excerpts.push([]);
        else excerpts[excerpts.length - 1]!.push(line.trim());
      }
      let at = 0;
      for (const excerpt of excerpts) {
        const found = find(file, excerpt, at);
        expect(found, `this part of the quote is not in ${path} (after line ${at + 1}):\n${excerpt.join('\n')}`).to.be.at.least(0);
        at = found + excerpt.length;
      }
    });
  }
});
