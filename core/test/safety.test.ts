/**
 * Safe by default: a listener reachable from other machines refuses to open while clients without
 * credentials would get any right, unless security.allowAnonymousRemote says so knowingly.
 */
import { expect } from 'chai';
import {
  Broker, createLogger, definePlugin, ErrorCodes, WharfError,
  type Authenticator, type Authorizer, type ProtocolAdapter,
} from '../src/index.js';
import { tinyTypesPlugin } from './helpers/tiny-types.js';

const silent = createLogger('silent');

/** A protocol that accepts sockets and closes them: enough to open listeners. */
const nullProtocol = definePlugin({ kind: 'protocol', name: 'null-protocol', core: '^0.1.0' }, (ctx) => {
  const adapter: ProtocolAdapter = { protocol: 'null', accept: (stream) => void stream.destroy() };
  ctx.protocol(adapter);
});

function securityPlugin(authenticator?: Authenticator, authorizer?: Authorizer) {
  return definePlugin({ kind: 'security', name: 'test-security', core: '^0.1.0' }, (ctx) => {
    if (authenticator) ctx.authenticator(authenticator);
    if (authorizer) ctx.authorizer(authorizer);
  });
}

const anonymousGuest: Authenticator = {
  name: 'anonymous-guest',
  authenticate: (c) => (c.login ? { rejected: true } : { principal: { name: 'anonymous', groups: ['guest'], anonymous: true } }),
};
const refusesEmpty: Authenticator = { name: 'refuses-empty', authenticate: (c) => (c.login ? undefined : { rejected: true }) };
const abstains: Authenticator = { name: 'abstains', authenticate: () => undefined };
const grantsGuestsNothing: Authorizer = {
  name: 'grants-guests-nothing',
  rights: () => new Set(),
  grantsAnything: (p) => !p.groups.includes('guest'),
};
const cannotTell: Authorizer = { name: 'cannot-tell', rights: () => new Set() };

async function startWith(host: string, plugins: unknown[], security?: object): Promise<Broker> {
  const broker = await Broker.create({
    plugins: [tinyTypesPlugin, nullProtocol, ...plugins],
    listeners: [{ protocol: 'null', host, port: 0 }],
    ...(security ? { security } : {}),
  }, { logger: silent });
  await broker.start();
  return broker;
}

async function refused(host: string, plugins: unknown[]): Promise<WharfError> {
  try {
    const broker = await startWith(host, plugins);
    await broker.stop();
  } catch (err) {
    expect(err).to.be.instanceOf(WharfError);
    return err as WharfError;
  }
  return expect.fail('the broker started');
}

describe('safe exposure check at start', () => {
  it('refuses a non-loopback listener when no security plugin is loaded, explaining both ways out', async () => {
    const err = await refused('0.0.0.0', []);
    expect(err.code).to.equal(ErrorCodes.UNSAFE);
    expect(err.message).to.contain('0.0.0.0').and.contain('without credentials');
    expect(err.hint).to.contain('security.allowAnonymousRemote: true').and.contain('add users and rules');
  });

  it('opens no listener when it refuses', async () => {
    const broker = await Broker.create({ plugins: [tinyTypesPlugin, nullProtocol], listeners: [{ protocol: 'null', host: '0.0.0.0', port: 0 }] }, { logger: silent });
    await broker.start().then(() => expect.fail('started'), () => undefined);
    expect(broker.listeners).to.have.length(0);
    expect(broker.running).to.equal(false);
  });

  it('starts on a non-loopback address when allowAnonymousRemote is set knowingly', async () => {
    const broker = await startWith('0.0.0.0', [], { allowAnonymousRemote: true });
    expect(broker.listeners).to.have.length(1);
    await broker.stop();
  });

  it('starts on loopback with anonymous clients holding every right', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const broker = await startWith(host, []);
      await broker.stop();
    }
  });

  it('starts when the authenticators refuse a client without credentials', async () => {
    await (await startWith('0.0.0.0', [securityPlugin(refusesEmpty)])).stop();
  });

  it('starts when every authenticator abstains for a client without credentials (the chain refuses it)', async () => {
    await (await startWith('0.0.0.0', [securityPlugin(abstains)])).stop();
  });

  it('starts when anonymous clients are let in but an authorizer surely grants them nothing', async () => {
    await (await startWith('0.0.0.0', [securityPlugin(anonymousGuest, grantsGuestsNothing)])).stop();
  });

  it('refuses anonymous clients with an authorizer that cannot tell (no grantsAnything)', async () => {
    const err = await refused('0.0.0.0', [securityPlugin(anonymousGuest, cannotTell)]);
    expect(err.code).to.equal(ErrorCodes.UNSAFE);
  });

  it('refuses anonymous clients when no authorizer is loaded (every right is granted)', async () => {
    const err = await refused('0.0.0.0', [securityPlugin(anonymousGuest)]);
    expect(err.message).to.contain('"anonymous"');
  });
});
