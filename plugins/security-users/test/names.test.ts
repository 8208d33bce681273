/**
 * The name rule (names.ts; docs/security.md, "User names and home destinations"): user and group
 * names are 1 to 64 of A-Z a-z 0-9 _ -, so that `home.${user}.` areas never overlap (issue 15: users
 * "bob" and "bob.x" shared /queue/home.bob.x.*). Enforced by the users file loader, by `users add`
 * (checkNewUser, setUserInText) and for certificate logins.
 */
import { expect } from 'chai';
import type { ConnectionInfo } from '@wharf/core';
import { ConfigError } from '@wharf/core';
import { remoteConnection } from '@wharf/testkit';
import { checkGroupName, checkUserName, isSafeName } from '../src/names.js';
import { parseUsersFile } from '../src/users-file.js';
import { checkNewUser, setUserInText } from '../src/users-file-edit.js';
import { authenticatorWith, removeTempDirs } from './helpers.js';

const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
const withCert = (cn: string): ConnectionInfo => remoteConnection({ secure: true, peerCertificate: { subject: { CN: cn } } });

describe('user and group names', function () {
  this.timeout(20000);
  after(removeTempDirs);

  it('accepts letters, digits, "_" and "-", 1 to 64 of them', () => {
    for (const name of ['alice', 'device-7', 'bob_x', 'A', 'x'.repeat(64), '0', '-', '_svc-ci_2']) {
      expect(isSafeName(name), name).to.equal(true);
      expect(checkUserName(name), name).to.equal(undefined);
      expect(checkGroupName(name), name).to.equal(undefined);
    }
  });

  it('refuses a "." (the delimiter that made home areas overlap) and every other character', () => {
    for (const name of ['bob.x', 'a b', '', 'x'.repeat(65), 'a:b', 'a$b', 'a/b', 'a*', '*', 'ä', 'a@b', 'a\nb', 'a\u0000b', '.*']) {
      expect(isSafeName(name), JSON.stringify(name)).to.equal(false);
      expect(checkUserName(name), JSON.stringify(name)).to.be.a('string').that.contains('not a valid user name');
      expect(checkGroupName(name), JSON.stringify(name)).to.be.a('string').that.contains('not a valid group name');
    }
    expect(checkUserName('bob.x')).to.contain('"bob.x"').and.contain('no "."');
    expect(checkUserName('a\nb'), 'control characters are escaped in the message').to.contain('a\\nb');
  });

  it('keeps "anonymous" reserved', () => {
    expect(checkUserName('anonymous')).to.contain('reserved');
  });

  it('the users file loader refuses the whole file, naming each bad name with its line and the fix', () => {
    const text = `users:\n  bob: { password: '${HASH}', groups: [staff] }\n  bob.x: { password: '${HASH}', groups: [staff] }\n  carol: { groups: [team.red] }\n`;
    let err: unknown;
    try { parseUsersFile(text, '/etc/wharf/users.yaml'); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).to.match(/users\.yaml:3:\d+ .*"bob\.x" is not a valid user name/);
    expect(message).to.match(/users\.yaml:4:\d+ .*"team\.red" is not a valid group name/);
    expect(message).to.contain('bob_x');
    expect(message, 'the good entries are not reported').to.not.match(/users\.yaml:2:/);
  });

  it('users add (checkNewUser, setUserInText) refuses a bad name or group before anything is written', () => {
    expect(() => checkNewUser('bob.x', [])).to.throw('not a valid user name');
    expect(() => checkNewUser('bob', ['team.red'])).to.throw('not a valid group name');
    expect(() => setUserInText('users:\n', 'bob.x', HASH, [])).to.throw('not a valid user name');
    expect(() => checkNewUser('bob_x', ['team-red'])).to.not.throw();
    expect([...parseUsersFile(setUserInText('users:\n', 'bob_x', HASH, ['team-red']), 'u.yaml').keys()]).to.deep.equal(['bob_x']);
  });

  it('refuses a client certificate whose CN is not a safe name, even when unknown users abstain', async () => {
    for (const unknownUsers of ['reject', 'abstain'] as const) {
      const t = await authenticatorWith({ certificates: true, unknownUsers });
      await t.addUser('bob', 'pw', []);
      expect(await t.authenticator.authenticate({}, withCert('bob.x')), unknownUsers).to.deep.equal({ rejected: true });
      expect(await t.authenticator.authenticate({}, withCert('bob.example.com')), unknownUsers).to.deep.equal({ rejected: true });
      expect(await t.authenticator.authenticate({}, withCert('bob')), unknownUsers).to.deep.equal({ principal: { name: 'bob', groups: [], anonymous: false } });
      t.close();
    }
  });
});
