/** Commands in a transaction: their arguments are checked before any command of it runs. */
import { expect } from 'chai';
import { createLogger, ErrorCodes, WharfError, type Broker, type QueueContext } from '@wharf/core';
import { connectClient, expectWharfError, startTestBroker } from '@wharf/testkit';
import queuePlugin from '@wharf/queue-queue';
import commandPlugin, { commandQueueType } from '../src/index.js';

describe('command: transactions', () => {
  let broker: Broker;
  beforeEach(async () => {
    broker = await startTestBroker({
      plugins: [queuePlugin, commandPlugin],
      routing: { prefixes: { '/queue/': 'queue', '/command/': 'command' }, fallback: 'reject' },
    });
  });
  afterEach(() => broker.stop());

  it('runs no command of a transaction when a later one lacks an argument', async () => {
    const client = await connectClient(broker);
    client.session.begin('tx');
    await client.send('/command/create-queue', '', { name: '/queue/made-by-tx' }, 'tx');
    await client.send('/command/delete-queue', '', {}, 'tx');
    const err = await expectWharfError(() => client.session.commit('tx'), ErrorCodes.BAD_COMMAND);
    expect(err.message).to.match(/^operation 2 of transaction tx \(SEND to \/command\/delete-queue\): command delete-queue needs the header name/);
    expect(broker.mqm.lookup('/queue/made-by-tx')).to.equal(undefined);
  });

  it('refuses a send to /command/events in a transaction before anything runs', async () => {
    const client = await connectClient(broker);
    client.session.begin('tx');
    await client.send('/command/create-queue', '', { name: '/queue/not-made' }, 'tx');
    await client.send('/command/events', '', {}, 'tx');
    await expectWharfError(() => client.session.commit('tx'), ErrorCodes.BAD_COMMAND);
    expect(broker.mqm.lookup('/queue/not-made')).to.equal(undefined);
  });

  it('declares the capabilities it uses, and runs a valid transaction of commands', async () => {
    const client = await connectClient(broker);
    client.session.begin('tx');
    await client.send('/command/create-queue', '', { name: '/queue/tx-made' }, 'tx');
    await client.send('/command/delete-queue', '', { name: '/queue/tx-made' }, 'tx');
    await client.send('/command/create-queue', '', { name: '/queue/tx-kept' }, 'tx');
    await client.session.commit('tx');
    expect(broker.mqm.lookup('/queue/tx-made')).to.equal(undefined);
    expect(broker.mqm.lookup('/queue/tx-kept')).to.not.equal(undefined);
  });
});

describe('command: capabilities', () => {
  it('refuses to make a command destination in a context without the capabilities, saying which', () => {
    const ctx = {
      name: '/command/list', logger: createLogger('silent'), forward: () => undefined, prepareForward: () => undefined,
      release: () => undefined, countDropped: () => undefined, createMessage: () => { throw new Error('unused'); },
    } as QueueContext;
    expect(() => commandQueueType.create('/command/list', {}, ctx)).to.throw(WharfError, /admin, lookup, events/)
      .with.property('code', ErrorCodes.PLUGIN_FAILED);
    expect(commandQueueType.capabilities).to.have.members(['admin', 'lookup', 'events']);
  });
});
