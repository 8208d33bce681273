/** This type's own behaviour: a message refused maxDeliveries times moves to the dead-letter queue. */
import { expect } from 'chai';
import { afterEach, describe, it } from 'mocha';
import { connectClient, settle, startTestBroker } from '@wharf/testkit';
import plugin from '../src/index.js';

describe('__NAME__: dead letters', () => {
  /** @type {import('@wharf/core').Broker | undefined} */
  let broker;
  afterEach(async () => broker?.stop());

  it('moves a message nacked maxDeliveries times to the deadLetter destination', async () => {
    broker = await startTestBroker({
      plugins: [plugin],
      routing: { rules: [{ match: '^/jobs/', type: '__NAME__', options: { maxDeliveries: 2, deadLetter: '/dead/jobs' } }, { match: '^/dead/', type: '__NAME__' }], prefixes: {}, fallback: 'reject' },
    });
    const client = await connectClient(broker);
    const { consumer, subscription } = client.subscribe('/jobs/a', { ackMode: 'client-individual' });
    const dead = client.subscribe('/dead/jobs').consumer;
    await client.send('/jobs/a', 'poison');
    await settle();
    client.session.nack(subscription, consumer.deliveries[0].tag);
    await settle();
    expect(consumer.deliveries.map((d) => d.redelivered)).to.deep.equal([false, true]);
    client.session.nack(subscription, consumer.deliveries[1].tag);
    await settle();
    expect(dead.bodies).to.deep.equal(['poison']);
    expect(consumer.deliveries, 'not delivered a third time').to.have.length(2);
  });
});
