/** What the conformance suite cannot know: certificates, abstaining, throttling, reload failures, logs. */
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import type { ConnectionInfo } from '@wharf/core';
import { remoteConnection } from '@wharf/testkit';
import { authenticatorWith, recordingLogger, removeTempDirs, until } from './helpers.js';

const withCert = (cn: string | string[]): ConnectionInfo =>
  remoteConnection({ secure: true, peerCertificate: { subject: { CN: cn, O: 'Wharf' } } });

describe('UsersAuthenticator', function () {
  this.timeout(20000);
  after(removeTempDirs);

  describe('TLS client certificates', () => {
    it('accepts a verified certificate whose CN is a user, with the groups from the file', async () => {
      const t = await authenticatorWith({ certificates: true });
      await t.addUser('alice', 'pw', ['admins']);
      expect(await t.authenticator.authenticate({}, withCert('alice'))).to.deep.equal({
        principal: { name: 'alice', groups: ['admins'], anonymous: false },
      });
      t.close();
    });

    it('rejects a certificate whose CN is not in the file, or that carries several CNs', async () => {
      const t = await authenticatorWith({ certificates: true, anonymous: { groups: ['guest'] } });
      await t.addUser('alice', 'pw', []);
      expect(await t.authenticator.authenticate({}, withCert('mallory'))).to.deep.equal({ rejected: true });
      expect(await t.authenticator.authenticate({}, withCert(['alice', 'bob']))).to.deep.equal({ rejected: true });
      t.close();
    });

    it('ignores certificates unless certificates: true', async () => {
      const t = await authenticatorWith();
      await t.addUser('alice', 'pw', []);
      expect(await t.authenticator.authenticate({}, withCert('alice'))).to.equal(undefined);
      t.close();
    });

    it('lets a login decide over a certificate', async () => {
      const t = await authenticatorWith({ certificates: true });
      await t.addUser('alice', 'pw', []);
      await t.addUser('bob', 'bob-pw', []);
      const decision = await t.authenticator.authenticate({ login: 'bob', passcode: 'bob-pw' }, withCert('alice'));
      expect(decision).to.have.nested.property('principal.name', 'bob');
      expect(await t.authenticator.authenticate({ login: 'bob', passcode: 'x' }, withCert('alice'))).to.deep.equal({ rejected: true });
      t.close();
    });
  });

  describe('the chain', () => {
    it('abstains for a client without credentials when anonymous access is off', async () => {
      const t = await authenticatorWith();
      expect(await t.authenticator.authenticate({}, remoteConnection())).to.equal(undefined);
      expect(await t.authenticator.authenticate({ login: '' }, remoteConnection())).to.equal(undefined);
      t.close();
    });

    it('abstains for unknown names with unknownUsers: abstain, and still rejects wrong passwords', async () => {
      const t = await authenticatorWith({ unknownUsers: 'abstain' });
      await t.addUser('alice', 'pw', []);
      expect(await t.authenticator.authenticate({ login: 'ldap-user', passcode: 'x' }, remoteConnection())).to.equal(undefined);
      expect(await t.authenticator.authenticate({ login: 'alice', passcode: 'x' }, remoteConnection())).to.deep.equal({ rejected: true });
      t.close();
    });
  });

  describe('throttling', () => {
    it('delays the answers to repeated failures from one address, growing', async () => {
      const t = await authenticatorWith({ throttle: { baseDelayMs: 40, maxDelayMs: 400, forgetAfterMs: 60_000 } });
      await t.addUser('alice', 'pw', []);
      const from = remoteConnection();
      const times: number[] = [];
      for (let i = 0; i < 4; i++) {
        const start = Date.now();
        await t.authenticator.authenticate({ login: 'alice', passcode: `bad-${i}` }, from);
        times.push(Date.now() - start);
      }
      // 40, 80, 160, 320 ms of delay on top of scrypt: the last one waits well over the first.
      expect(times[3]!, times.join(',')).to.be.at.least(300);
      expect(times[3]! - times[0]!, times.join(',')).to.be.at.least(200);
      t.close();
    });

    it('answers a good login from a throttled address at once, while failures from it wait', async () => {
      const t = await authenticatorWith({ throttle: { baseDelayMs: 3000, maxDelayMs: 3000, forgetAfterMs: 60_000 } });
      await t.addUser('alice', 'pw', []);
      await t.addUser('bob', 'bob-pw', []);
      const address = '192.0.2.77';
      const failures = Array.from({ length: 5 }, (_, i) =>
        t.authenticator.authenticate({ login: 'alice', passcode: `bad-${i}` }, remoteConnection({ remoteAddress: address })));
      let settled = 0;
      for (const f of failures) void f.then(() => settled++);
      await new Promise((r) => setTimeout(r, 100));
      // bob, from the guesser's address: his check does not queue behind the guesses at alice,
      // and his answer does not wait for their delays.
      const good = await t.authenticator.authenticate({ login: 'bob', passcode: 'bob-pw' }, remoteConnection({ remoteAddress: address }));
      expect(good).to.have.nested.property('principal.name', 'bob');
      expect(settled, 'every failure is still waiting when the good login is answered').to.equal(0);
      expect(await Promise.all(failures)).to.deep.equal(Array(5).fill({ rejected: true }));
      t.close();
    });
  });

  describe('live reload', () => {
    it('keeps the users it had when the file becomes invalid, and logs it', async () => {
      const { logger, lines } = recordingLogger();
      const t = await authenticatorWith({}, logger);
      await t.addUser('alice', 'pw', ['a']);
      await writeFile(t.file, 'users:\n  alice: { password: oops\n');
      await until(() => lines.some((l) => l.includes('keeping the users in force')), 'the reload error to be logged');
      expect(await t.authenticator.authenticate({ login: 'alice', passcode: 'pw' }, remoteConnection())).to.have.property('principal');
      t.close();
    });

    it('drops a user removed from the file', async () => {
      const t = await authenticatorWith();
      await t.addUser('alice', 'pw', []);
      await writeFile(t.file, 'users: {}\n');
      await until(() => t.store.get('alice') === undefined, 'alice to be removed');
      expect(await t.authenticator.authenticate({ login: 'alice', passcode: 'pw' }, remoteConnection())).to.deep.equal({ rejected: true });
      t.close();
    });
  });

  it('never logs a passcode, nor the login of a failed attempt', async () => {
    const { logger, lines } = recordingLogger();
    const t = await authenticatorWith({ throttle: { baseDelayMs: 1, maxDelayMs: 1, forgetAfterMs: 1000 } }, logger);
    await t.addUser('alice', 'pass-alice-42', []);
    await t.authenticator.authenticate({ login: 'alice', passcode: 'pass-alice-42' }, remoteConnection());
    for (let i = 0; i < 3; i++) await t.authenticator.authenticate({ login: 'typed-my-password-here', passcode: 'guess-99' }, remoteConnection({ remoteAddress: '192.0.2.1' }));
    const all = lines.join('\n');
    expect(all).to.contain('alice');
    expect(all).to.not.contain('pass-alice-42').and.not.contain('guess-99').and.not.contain('typed-my-password-here');
    t.close();
  });
});
