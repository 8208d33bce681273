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

  it('as a plugin: a bad regex in the options is a config problem at the rule\'s pattern, with its line', async () => {
    const source = { filepath: '/etc/wharf.yaml', locate: (path: ReadonlyArray<string | number>) => (path.join('.') === 'plugins.0.options.rules.0.match' ? { line: 9, column: 18 } : undefined) };
    const err = await Broker.create({
      plugins: [{ use: aclPlugin, options: { rules: [{ match: '(', users: ['*'], allow: ['read'] }] } }],
      routing: { prefixes: {}, fallback: 'reject' },
    }, { logger: createLogger('silent'), source }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    const issue = (err as ConfigError).issues[0]!;
    expect(issue.path).to.deep.equal(['plugins', 0, 'options', 'rules', 0, 'match']);
    expect(issue.message).to.contain('not a valid regular expression');
    expect(issue.line).to.equal(9);
    expect((err as ConfigError).message).to.contain('/etc/wharf.yaml:9:18 plugins[0].options.rules[0].match');
  });

  it('a rule with a mistyped key: the unknown key with the nearest one, and that a rule needs users or groups', async () => {
    const err = await Broker.create({
      plugins: [{ use: aclPlugin, options: { rules: [{ match: '^/', grups: ['admins'], allow: ['read'] }] } }],
      routing: { prefixes: {}, fallback: 'reject' },
    }, { logger: createLogger('silent') }).then(() => undefined, (e: unknown) => e);
    const issues = (err as ConfigError).issues;
    expect(issues.map((i) => i.message)).to.have.members(['unknown key "grups"', 'needs "users" or "groups"']);
    expect(issues.find((i) => i.message.startsWith('unknown'))!.hint).to.equal('did you mean "groups"?');
    expect((err as ConfigError).message).to.not.contain('missing required key');
  });

  it('a rules file: a mistyped key is named, and the rule needing users or groups is said, with lines', () => {
    const text = 'rules:\n  - match: "^/a"\n    grups: [g]\n    allow: [read]\n';
    expect(() => parseRulesFile(text, '/etc/acl.yaml')).to.throw(/acl\.yaml:3:\d+ rules\[0\]\.grups: unknown key "grups"[^]*did you mean "groups"/)
      .and.to.match(/acl\.yaml:2:\d+ rules\[0\]: needs "users" or "groups"/);
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
