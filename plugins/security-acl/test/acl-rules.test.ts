/** Rules from a file: checked with lines, combined with the options' rules, reloaded live. */
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Broker, ConfigError, createLogger, ErrorCodes, WharfError } from '@wharf/core';
import aclPlugin from '../src/index.js';
import { AclRules } from '../src/acl-rules.js';
import { parseRulesFile } from '../src/rules-file.js';
import { removeTempDirs, tempDir, until, user } from './helpers.js';

describe('ACL rules file', function () {
  this.timeout(20000);
  after(removeTempDirs);

  it('reports schema problems with their lines', () => {
    const text = 'rules:\n  - match: "^/a"\n    users: [x]\n    allow: [reed]\n  - match: "^/b"\n    allow: [read]\n  - match: "^/c(["\n    groups: [g]\n';
    let err: unknown;
    try { parseRulesFile(text, '/etc/acl.yaml'); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).to.match(/acl\.yaml:4:\d+ rules\[0\]\.allow\[0\]/);
    expect(message).to.match(/acl\.yaml:5:\d+ rules\[1\]/);
  });

  it('reports a bad regex with its line', () => {
    expect(() => parseRulesFile('rules:\n  - match: "^/c(["\n    groups: [g]\n', '/etc/acl.yaml')).to.throw(/acl\.yaml:2:\d+ rules\[0\]\.match/);
  });

  it('adds the file rules to the option rules, reloads on change, and keeps the old rules on a bad edit', async () => {
    const dir = await tempDir();
    const file = join(dir, 'acl.yaml');
    await writeFile(file, 'rules:\n  - { match: "^/queue/a$", users: [alice], allow: [read] }\n');
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write(c: Buffer, _e, done) { lines.push(c.toString()); done(); } }));
    const rules = new AclRules({ rules: [{ match: '^/queue/b$', users: ['alice'], allow: ['write'] }], file: 'acl.yaml' }, dir, logger);
    await rules.load();
    rules.watch(10);
    let changes = 0;
    rules.authorizer.onChange(() => changes++);
    const a = rules.authorizer;
    expect([...a.rights(user('alice'), '/queue/a')]).to.deep.equal(['read']);
    expect([...a.rights(user('alice'), '/queue/b')]).to.deep.equal(['write']);

    await writeFile(file, 'rules:\n  - { match: "^/queue/a$", users: [alice], allow: [create] }\n');
    await until(() => changes === 1, 'the reload');
    expect([...a.rights(user('alice'), '/queue/a')]).to.deep.equal(['create']);
    expect(a.explain(user('alice'), '/queue/a').rules.map((r) => r.where)).to.deep.equal(['options.rules[0]', `${file}:2 rules[0]`]);

    await writeFile(file, 'rules:\n  - { match: "^/queue/a$", users: [alice], allow: [everything] }\n');
    await until(() => lines.some((l) => l.includes('keeping the ACL rules in force')), 'the error to be logged');
    expect(changes).to.equal(1);
    expect([...a.rights(user('alice'), '/queue/a')]).to.deep.equal(['create']);
    rules.close();
  });

  it('as a plugin: a bad rule in the options stops the broker from being created, naming the rule', async () => {
    const err = await Broker.create({
      plugins: [{ use: aclPlugin, options: { rules: [{ match: '(', users: ['*'], allow: ['read'] }] } }],
      routing: { prefixes: {}, fallback: 'reject' },
    }, { logger: createLogger('silent') }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(WharfError);
    expect((err as WharfError).code).to.equal(ErrorCodes.PLUGIN_FAILED);
    expect((err as WharfError).message).to.contain('options.rules[0].match');
  });

  it('as a plugin: an unknown right is a config error', async () => {
    const err = await Broker.create({
      plugins: [{ use: aclPlugin, options: { rules: [{ match: '^/', users: ['*'], allow: ['publish'] }] } }],
      routing: { prefixes: {}, fallback: 'reject' },
    }, { logger: createLogger('silent') }).then(() => undefined, (e: unknown) => e);
    expect((err as WharfError).code).to.equal(ErrorCodes.CONFIG);
    expect((err as WharfError).message).to.contain('rules[0].allow[0]');
  });
});
