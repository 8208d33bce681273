/**
 * `wharf users add` refuses names outside the safe set (docs/security.md, "User names and home
 * destinations") before asking for a password, and leaves the file as it was.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { usersAdd } from '../src/commands/users.js';

describe('wharf users add: user and group names', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'wharf-cli-names-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [name, groups, says] of [
    ['bob.x', [], 'not a valid user name'],
    ['bob', ['team.red'], 'not a valid group name'],
    ['x'.repeat(65), [], 'not a valid user name'],
  ] as const) {
    it(`refuses ${name.length > 10 ? 'a 65-character name' : `"${name}"`}${groups.length ? ` with group ${groups[0]}` : ''}, asking no password and writing nothing`, async () => {
      const file = join(dir, 'users.yaml');
      const before = '# people\nusers:\n  bob: { groups: [staff] }\n';
      await writeFile(file, before, { mode: 0o600 });
      const input = new PassThrough();
      input.end('a-password\n');
      const prompts = new PassThrough();
      const out: string[] = [];
      const err: string[] = [];
      const code = await usersAdd(name, { file, group: groups }, input, prompts, (l) => out.push(l), (l) => err.push(l));
      expect(code).to.equal(1);
      expect(err.join('\n')).to.contain(says);
      expect(out).to.deep.equal([]);
      expect(input.readableLength, 'the password was not read').to.be.greaterThan(0);
      expect(await readFile(file, 'utf8')).to.equal(before);
    });
  }
});
