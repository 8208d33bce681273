import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveFile, createLogger } from '../../src/index.js';

describe('LiveFile', () => {
  const parse = (text: string): number => {
    const n = Number(text.trim());
    if (!Number.isInteger(n)) throw new Error(`not a number: ${text}`);
    return n;
  };

  it('loads, re-reads on demand, and keeps the value in force when a re-read is invalid', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'wharf-live-')), 'n.txt');
    await writeFile(file, '1');
    const seen: Array<[number, boolean]> = [];
    const live = new LiveFile({ filepath: file, what: 'numbers', parse, apply: (n, reloaded) => seen.push([n, reloaded]), logger: createLogger('silent') });
    await live.load();
    expect(await live.reload(), 'unchanged text is not applied again').to.equal(false);
    await writeFile(file, '2');
    expect(await live.reload()).to.equal(true);
    await writeFile(file, 'oops');
    expect(await live.reload()).to.equal(false);
    expect(seen).to.deep.equal([[1, false], [2, true]]);
  });

  it('fails the first load of a missing or invalid file, with the hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-live-'));
    const missing = new LiveFile({ filepath: join(dir, 'none'), what: 'numbers', parse, apply: () => undefined, logger: createLogger('silent'), missingHint: 'create it' });
    const err = await missing.load().then(() => undefined, (e: Error) => e);
    expect(err?.message).to.contain('numbers file').and.contain('does not exist; create it');
    await writeFile(join(dir, 'bad'), 'x');
    const bad = new LiveFile({ filepath: join(dir, 'bad'), what: 'numbers', parse, apply: () => undefined, logger: createLogger('silent') });
    expect(await bad.load().then(() => undefined, (e: Error) => e.message)).to.contain('not a number');
  });
});
