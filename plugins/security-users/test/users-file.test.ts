import { expect } from 'chai';
import { ConfigError } from '@wharf/core';
import { hashPassword } from '../src/password-hash.js';
import { parseUsersFile } from '../src/users-file.js';
import { removeUserFromText, setUserInText } from '../src/users-file-edit.js';

const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';

function problems(text: string): ConfigError {
  try {
    parseUsersFile(text, '/etc/wharf/users.yaml');
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  return expect.fail('the file was accepted');
}

describe('users file', () => {
  it('reads users, their hashes and groups; a user may have no password (certificate only)', () => {
    const users = parseUsersFile(`users:\n  alice: { password: '${HASH}', groups: [admins, staff] }\n  device-7: { groups: [devices] }\n  bare:\n`, 'u.yaml');
    expect(users.get('alice')!.groups).to.deep.equal(['admins', 'staff']);
    expect(users.get('alice')!.password!.N).to.equal(16384);
    expect(users.get('device-7')!.password).to.equal(undefined);
    expect(users.get('bare')!.groups).to.deep.equal([]);
  });

  it('reads an empty file as no users', () => {
    expect(parseUsersFile('', 'u.yaml').size).to.equal(0);
    expect(parseUsersFile('users: {}\n', 'u.yaml').size).to.equal(0);
  });

  it('reports every problem with its line, and never echoes a password value', () => {
    const err = problems(`users:\n  alice: { password: 'hunter2', groups: [admins] }\n  anonymous: { groups: [x] }\n  bob: { groups: admins }\n  carol: { pasword: '${HASH}' }\nextra: 1\n`);
    expect(err.message).to.contain('users.yaml:2').and.contain('not a password hash');
    expect(err.message).to.not.contain('hunter2');
    expect(err.message).to.match(/:3:\d+ users\.anonymous: "anonymous" is reserved/);
    expect(err.message).to.match(/:4:\d+ users\.bob\.groups/);
    expect(err.message).to.contain('unknown key "pasword"');
    expect(err.message).to.contain('unknown key "extra"');
  });

  it('reports a hand-edited name no STOMP login header could carry, with its line', () => {
    const long = 'a'.repeat(65); // one over the 64-character limit
    const err = problems(`users:\n  alice: { groups: [admins] }\n  ${long}: { groups: [staff] }\n  "tab\\u0001": { groups: [staff] }\n`);
    expect(err.message).to.match(/:3:\d+ users\.a{65}: "a{65}" is not a valid user name: a user name is 1 to 64/);
    expect(err.message).to.match(/:4:\d+ users\["tab\\u0001"\]: .* is not a valid user name/);
    // 64 of them is a name like any other.
    expect([...parseUsersFile(`users:\n  ${'a'.repeat(64)}: {}\n`, 'u.yaml').keys()]).to.deep.equal(['a'.repeat(64)]);
  });

  it('reports YAML syntax errors without quoting the file', () => {
    const err = problems(`users:\n  alice: { password: '${HASH}', groups: [admins\n`);
    expect(err.message).to.not.contain(HASH);
  });
});

describe('editing a users file', () => {
  it('adds a user, keeping comments, and the result parses', async () => {
    const text = '# who may connect\nusers:\n  # the admin\n  alice: { password: "' + HASH + '", groups: [admins] }\n';
    const out = setUserInText(text, 'bob', await hashPassword('pw'), ['staff', 'ops']);
    expect(out).to.contain('# who may connect').and.contain('# the admin');
    const users = parseUsersFile(out, 'u.yaml');
    expect([...users.keys()]).to.deep.equal(['alice', 'bob']);
    expect(users.get('bob')!.groups).to.deep.equal(['staff', 'ops']);
  });

  it('creates the file from nothing, and replaces an existing user', async () => {
    const first = setUserInText('', 'alice', HASH, ['a']);
    const second = setUserInText(first, 'alice', HASH, ['b']);
    expect(parseUsersFile(second, 'u.yaml').get('alice')!.groups).to.deep.equal(['b']);
  });

  it('refuses reserved or malformed names', () => {
    expect(() => setUserInText('', 'anonymous', HASH, [])).to.throw('reserved');
    expect(() => setUserInText('', 'a b', HASH, [])).to.throw('not a valid user name');
    expect(() => setUserInText('', 'alice', HASH, ['*'])).to.throw('group name');
  });

  it('removes a user and says whether it was there', () => {
    const text = setUserInText(setUserInText('', 'alice', HASH, []), 'bob', HASH, []);
    const { text: out, removed } = removeUserFromText(text, 'alice');
    expect(removed).to.equal(true);
    expect([...parseUsersFile(out, 'u.yaml').keys()]).to.deep.equal(['bob']);
    expect(removeUserFromText(out, 'alice').removed).to.equal(false);
  });
});
