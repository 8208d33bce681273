import { expect } from 'chai';
import { expectBrokerWorks, header, startStompBroker, type StompTestBroker, type StompTestClient } from './helpers.js';

describe('STOMP session: BEGIN, COMMIT, ABORT (STOMP 1.2 §BEGIN, §COMMIT, §ABORT)', () => {
  let env: StompTestBroker;
  let consumer: StompTestClient;
  beforeEach(async () => {
    env = await startStompBroker();
    consumer = await env.connect();
  });
  afterEach(async () => {
    await env.stop();
  });
  const stats = (destination: string) => env.broker.mqm.destinationStats(destination);

  it('publishes SENDs of a transaction at COMMIT, in order', async () => {
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/tx' });
    const producer = await env.connect();
    await producer.sendWithReceipt('BEGIN', { transaction: 't1' });
    producer.send('SEND', { destination: '/queue/tx', transaction: 't1' }, 'a');
    await producer.sendWithReceipt('SEND', { destination: '/queue/tx', transaction: 't1' }, 'b');
    await consumer.expectSilence(30);
    await producer.sendWithReceipt('COMMIT', { transaction: 't1' });
    const messages = await consumer.take(2, 'MESSAGE');
    expect(messages.map((m) => m.body.toString())).to.deep.equal(['a', 'b']);
    expect(header(messages[0]!, 'transaction')).to.equal(undefined);
  });

  it('drops the SENDs of an aborted transaction', async () => {
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/abort' });
    const producer = await env.connect();
    producer.send('BEGIN', { transaction: 't1' });
    producer.send('SEND', { destination: '/queue/abort', transaction: 't1' }, 'never');
    await producer.sendWithReceipt('ABORT', { transaction: 't1' });
    await producer.sendWithReceipt('SEND', { destination: '/queue/abort' }, 'outside');
    expect((await consumer.next('MESSAGE')).body.toString()).to.equal('outside');
    await consumer.expectSilence(20);
  });

  it('keeps SENDs outside the transaction immediate', async () => {
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/mixed' });
    const producer = await env.connect();
    producer.send('BEGIN', { transaction: 't' });
    producer.send('SEND', { destination: '/queue/mixed', transaction: 't' }, 'inside');
    producer.send('SEND', { destination: '/queue/mixed' }, 'outside');
    expect((await consumer.next('MESSAGE')).body.toString()).to.equal('outside');
    producer.send('COMMIT', { transaction: 't' });
    expect((await consumer.next('MESSAGE')).body.toString()).to.equal('inside');
  });

  it('applies ACKs of a transaction at COMMIT', async () => {
    consumer.send('SUBSCRIBE', { id: 's', destination: '/queue/txack', ack: 'client-individual' });
    consumer.send('SEND', { destination: '/queue/txack' }, 'm');
    const message = await consumer.next('MESSAGE');
    consumer.send('BEGIN', { transaction: 't' });
    await consumer.sendWithReceipt('ACK', { id: header(message, 'ack')!, transaction: 't' });
    expect(stats('/queue/txack').unacked).to.equal(1);
    await consumer.sendWithReceipt('COMMIT', { transaction: 't' });
    expect(stats('/queue/txack').unacked).to.equal(0);
  });

  it('undoes ACKs of an aborted transaction: the message can be acknowledged again (1.2)', async () => {
    consumer.send('SUBSCRIBE', { id: 's', destination: '/queue/txabort', ack: 'client-individual' });
    consumer.send('SEND', { destination: '/queue/txabort' }, 'm');
    const message = await consumer.next('MESSAGE');
    consumer.send('BEGIN', { transaction: 't' });
    consumer.send('ACK', { id: header(message, 'ack')!, transaction: 't' });
    await consumer.sendWithReceipt('ABORT', { transaction: 't' });
    expect(stats('/queue/txabort').unacked).to.equal(1);
    await consumer.sendWithReceipt('ACK', { id: header(message, 'ack')! });
    expect(stats('/queue/txabort').unacked).to.equal(0);
  });

  it('undoes ACKs of an aborted transaction: the message can be acknowledged again (1.1)', async () => {
    const client = await env.connect({ 'accept-version': '1.1', host: 'h' });
    client.send('SUBSCRIBE', { id: 's', destination: '/queue/txabort11', ack: 'client-individual' });
    client.send('SEND', { destination: '/queue/txabort11' }, 'm');
    const message = await client.next('MESSAGE');
    const ack = { 'message-id': header(message, 'message-id')!, subscription: 's' };
    client.send('BEGIN', { transaction: 't' });
    client.send('ACK', { ...ack, transaction: 't' });
    await client.sendWithReceipt('ABORT', { transaction: 't' });
    expect(stats('/queue/txabort11').unacked).to.equal(1);
    await client.sendWithReceipt('ACK', ack);
    expect(stats('/queue/txabort11').unacked).to.equal(0);
  });

  it('applies NACKs of a transaction at COMMIT', async () => {
    consumer.send('SUBSCRIBE', { id: 's', destination: '/queue/txnack', ack: 'client-individual' });
    consumer.send('SEND', { destination: '/queue/txnack' }, 'm');
    const message = await consumer.next('MESSAGE');
    consumer.send('BEGIN', { transaction: 't' });
    consumer.send('NACK', { id: header(message, 'ack')!, transaction: 't' });
    await consumer.expectSilence(30);
    consumer.send('COMMIT', { transaction: 't' });
    const again = await consumer.next('MESSAGE');
    expect(header(again, 'redelivered')).to.equal('true');
  });

  it('aborts open transactions when the client disconnects', async () => {
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/txgone' });
    const producer = await env.connect();
    producer.send('BEGIN', { transaction: 't' });
    producer.send('SEND', { destination: '/queue/txgone', transaction: 't' }, 'lost');
    producer.send('DISCONNECT', { receipt: 'bye' });
    await producer.next('RECEIPT');
    await producer.waitClosed();
    await consumer.expectSilence(30);
    expect(stats('/queue/txgone').enqueued).to.equal(0);
  });

  for (const command of ['COMMIT', 'ABORT']) {
    it(`refuses ${command} of an unknown transaction with an ERROR, then closes`, async () => {
      const client = await env.connect();
      client.send(command, { transaction: 'nope', receipt: 'x' });
      await client.expectError({ message: /nope/, receiptId: 'x' });
      await expectBrokerWorks(env);
    });
  }

  it('refuses a SEND in an unknown transaction', async () => {
    const client = await env.connect();
    client.send('SEND', { destination: '/queue/a', transaction: 'nope' }, 'x');
    await client.expectError({ message: /nope/ });
  });

  it('refuses an ACK in an unknown transaction', async () => {
    consumer.send('SUBSCRIBE', { id: 's', destination: '/queue/txunk', ack: 'client' });
    consumer.send('SEND', { destination: '/queue/txunk' }, 'm');
    const message = await consumer.next('MESSAGE');
    consumer.send('ACK', { id: header(message, 'ack')!, transaction: 'nope' });
    await consumer.expectError({ message: /nope/ });
  });

  it('refuses a BEGIN of a transaction already open', async () => {
    const client = await env.connect();
    client.send('BEGIN', { transaction: 't' });
    client.send('BEGIN', { transaction: 't' });
    await client.expectError({ message: /already open/ });
  });

  it('requires the transaction header', async () => {
    const client = await env.connect();
    client.send('BEGIN', {});
    await client.expectError({ message: /transaction/ });
  });

  it('refuses a committed transaction a second time', async () => {
    const client = await env.connect();
    client.send('BEGIN', { transaction: 't' });
    await client.sendWithReceipt('COMMIT', { transaction: 't' });
    client.send('COMMIT', { transaction: 't' });
    await client.expectError({ message: /not open/ });
  });
});
