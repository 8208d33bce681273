/** This plugin's own behaviour: a broker configured with it lets in exactly the users of its options. */
import { expect } from 'chai';
import { afterEach, describe, it } from 'mocha';
import { WharfError } from '@wharf/core';
import { connectClient, startTestBroker } from '@wharf/testkit';
import plugin, { hashPassword } from '../src/index.js';

describe('__NAME__: in a broker', () => {
  /** @type {import('@wharf/core').Broker | undefined} */
  let broker;
  afterEach(async () => broker?.stop());

  it('lets in a user of the options with its groups, and refuses a wrong password with a WharfError', async () => {
    const users = { alice: { passwordHash: await hashPassword('s3cret'), groups: ['admins'] } };
    broker = await startTestBroker({ plugins: [{ use: plugin, options: { users } }], routing: { rules: [], prefixes: {}, fallback: 'reject' } });
    const alice = await connectClient(broker, { login: 'alice', passcode: 's3cret' });
    expect(alice.session.principal).to.deep.include({ name: 'alice', groups: ['admins'], anonymous: false });
    /** @type {unknown} */
  let refused;
    await connectClient(broker, { login: 'alice', passcode: 'guess' }).catch((err) => { refused = err; });
    expect(refused).to.be.instanceOf(WharfError);
  });
});
