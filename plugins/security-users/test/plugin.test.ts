/** The plugin as a config loads it: options checked, the file relative to the config, loaded at start. */
import { expect } from 'chai';
import { join } from 'node:path';
import { Broker, createLogger, ErrorCodes, WharfError } from '@wharf/core';
import { connectClient, expectWharfError } from '@wharf/testkit';
import usersPlugin from '../src/index.js';
import { addUser, removeTempDirs, tempDir } from './helpers.js';

const silent = createLogger('silent');
const routing = { prefixes: {}, fallback: 'reject' };

async function brokerWith(options: Record<string, unknown>, configDir: string): Promise<Broker> {
  return Broker.create({ plugins: [{ use: usersPlugin, options }], routing }, { configDir, logger: silent });
}

describe('@wharf/security-users as a plugin', function () {
  this.timeout(20000);
  after(removeTempDirs);

  it('reads the users file relative to the config folder and authenticates through the broker', async () => {
    const dir = await tempDir();
    await addUser(join(dir, 'users.yaml'), 'alice', 'pw-alice', ['admins']);
    const broker = await brokerWith({ file: 'users.yaml' }, dir);
    await broker.start();
    try {
      const client = await connectClient(broker, { login: 'alice', passcode: 'pw-alice' });
      expect(client.session.principal).to.deep.include({ name: 'alice', anonymous: false });
      const err = await expectWharfError(() => connectClient(broker, { login: 'alice', passcode: 'nope' }), ErrorCodes.BAD_CREDENTIALS);
      const unknown = await expectWharfError(() => connectClient(broker, { login: 'zed', passcode: 'nope' }), ErrorCodes.BAD_CREDENTIALS);
      expect(err.message).to.equal('bad credentials').and.equal(unknown.message);
      expect(err.message + (err.hint ?? '')).to.not.contain('nope');
      await expectWharfError(() => connectClient(broker, {}), ErrorCodes.BAD_CREDENTIALS);
    } finally {
      await broker.stop();
    }
  });

  it('refuses to start without its users file, naming it', async () => {
    const dir = await tempDir();
    const broker = await brokerWith({ file: 'missing.yaml' }, dir);
    const err = await broker.start().then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(WharfError);
    expect((err as WharfError).code).to.equal(ErrorCodes.PLUGIN_FAILED);
    expect((err as WharfError).message).to.contain('security-users').and.contain('missing.yaml');
  });

  it('checks its options', async () => {
    const err = await brokerWith({ file: 'u.yaml', anonymous: { group: ['guest'] } }, await tempDir()).then(() => undefined, (e: unknown) => e);
    expect((err as WharfError).code).to.equal(ErrorCodes.CONFIG);
    expect((err as WharfError).message).to.contain('anonymous');
  });
});
