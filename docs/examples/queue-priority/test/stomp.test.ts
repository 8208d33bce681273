/**
 * The example as a user runs it: loaded from its folder by the config file next to it (as
 * `wharf start --config docs/examples/queue-priority/wharf.config.yaml` would), then driven over
 * STOMP on TCP by a real client, @stomp/stompjs. The listener's port is set to 0 (ephemeral).
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { Client, type IMessage, type IStompSocket } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import { Broker, createLogger } from '@wharf/core';
import { loadConfig } from '@wharf/config';

/** Resolves once `predicate()` holds; polls, never sleeps blindly. */
async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A connected @stomp/stompjs client over TCP (no reconnects, no heart-beats). */
function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client({
      webSocketFactory: () => new TCPWrapper('127.0.0.1', port) as unknown as IStompSocket,
      reconnectDelay: 0, heartbeatIncoming: 0, heartbeatOutgoing: 0, debug: () => undefined,
      onConnect: () => resolve(client),
      onStompError: (frame) => reject(new Error(`ERROR: ${frame.headers['message']}`)),
      onWebSocketClose: () => reject(new Error('closed before CONNECTED')),
    });
    client.activate();
  });
}

/** Sends a frame with a receipt header and waits for the RECEIPT: the broker has handled it. */
async function confirmed(client: Client, send: (receipt: string) => void): Promise<void> {
  const receipt = `r-${Math.random().toString(36).slice(2)}`;
  let received = false;
  client.watchForReceipt(receipt, () => { received = true; });
  send(receipt);
  await waitFor(() => received, `RECEIPT ${receipt}`);
}

describe('priority example: loaded by its config file, over STOMP', () => {
  let broker: Broker;
  const clients: Client[] = [];

  beforeEach(async () => {
    const configPath = fileURLToPath(new URL('../../wharf.config.yaml', import.meta.url));
    const loaded = await loadConfig({ configPath });
    const config = { ...loaded.config, listeners: loaded.config.listeners.map((l) => ({ ...l, port: 0 })) };
    broker = await Broker.create(config, { source: loaded.source, logger: createLogger('silent') });
    await broker.start();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.deactivate({ force: true })));
    await broker.stop();
  });

  it('loads the folder named by `use: ./` and routes /priority/ names to it', () => {
    expect(broker.plugins.map((p) => p.definition.name)).to.include('queue-priority');
    expect(broker.router.route('/priority/jobs').type).to.equal('priority');
    expect(broker.router.route('/elsewhere').type).to.equal('topic');
  });

  it('delivers STOMP messages by their priority header, and redelivers a NACKed one marked redelivered', async () => {
    const port = broker.listeners[0]!.port;
    const producer = await connect(port);
    const consumer = await connect(port);
    clients.push(producer, consumer);
    for (const [body, priority] of [['report', '1'], ['alert', '9'], ['email', '5'], ['page', '9']]) {
      await confirmed(producer, (receipt) => producer.publish({ destination: '/priority/jobs', body, headers: { priority, receipt } }));
    }
    const received: IMessage[] = [];
    await confirmed(consumer, (receipt) => {
      consumer.subscribe('/priority/jobs', (m) => received.push(m), { ack: 'client-individual', receipt });
    });
    await waitFor(() => received.length === 4, 'four messages');
    expect(received.map((m) => m.body)).to.deep.equal(['alert', 'page', 'email', 'report']);
    expect(received[0]!.headers['priority'], 'the sender\'s header reaches the consumer').to.equal('9');

    received[0]!.nack();
    await waitFor(() => received.length === 5, 'the redelivery');
    expect(received[4]!.body).to.equal('alert');
    expect(received[4]!.headers['redelivered']).to.equal('true');
    for (const m of received.slice(1)) m.ack();
    await waitFor(() => broker.mqm.destinationStats('/priority/jobs').unacked === 0, 'every ACK');
  });
});
