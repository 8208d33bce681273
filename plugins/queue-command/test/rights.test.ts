/**
 * Every command destination needs the `admin` right, to send and to subscribe: a user holding every
 * other right is refused with ACCESS_DENIED naming `admin` and the destination; an admin is not.
 */
import { expect } from 'chai';
import { ErrorCodes, type Broker } from '@wharf/core';
import { expectWharfError, type TestClient } from '@wharf/testkit';
import { VERBS } from '../src/index.js';
import { connectAs, startBroker } from './helpers/broker.js';

describe('queue-command rights', () => {
  let broker: Broker;
  let admin: TestClient;
  let user: TestClient;

  beforeEach(async () => {
    broker = await startBroker({ pubsub: { '/pubsub/orders': { children: ['/queue/billing'] } } });
    admin = await connectAs(broker, 'admin');
    user = await connectAs(broker, 'user');
  });
  afterEach(() => broker.stop());

  /** Arguments that make each verb succeed for the admin. */
  const argsFor = (verb: string): Record<string, string> => {
    switch (verb) {
      case 'create-queue': return { name: '/queue/made' };
      case 'delete-queue': return { name: '/queue/billing' };
      case 'empty-queue': return { name: '/queue/billing' };
      case 'add-child': return { pubsub: '/pubsub/orders', child: '/queue/extra' };
      case 'remove-child': return { pubsub: '/pubsub/orders', child: '/queue/billing' };
      case 'stats': return { name: '/pubsub/orders' };
      case 'disconnect': return { session: user.session.id };
      default: return {};
    }
  };

  for (const verb of VERBS.keys()) {
    it(`refuses ${verb} without the admin right and runs it with it`, async () => {
      const before = broker.mqm.listDestinations();
      const err = await expectWharfError(() => user.send(`/command/${verb}`, '', argsFor(verb)), ErrorCodes.ACCESS_DENIED);
      expect(err.message).to.equal(`admin access to /command/${verb} refused for user user`);
      expect(err.details).to.deep.include({ right: 'admin', destination: `/command/${verb}` });
      expect(broker.mqm.listDestinations(), 'a refused command changes nothing').to.deep.equal(before);
      expect(user.closedWith).to.equal(undefined);

      await admin.send(`/command/${verb}`, '', argsFor(verb));
      expect(broker.mqm.lookup(`/command/${verb}`)?.type).to.equal('command');
    });
  }

  it('refuses an unknown verb for a non-admin as ACCESS_DENIED, before saying it is unknown', async () => {
    const err = await expectWharfError(() => user.send('/command/make-coffee', ''), ErrorCodes.ACCESS_DENIED);
    expect(err.details).to.deep.include({ right: 'admin' });
  });

  it('refuses a subscription to /command/events without the admin right and accepts it with it', async () => {
    const err = await expectWharfError(() => user.subscribe('/command/events'), ErrorCodes.ACCESS_DENIED);
    expect(err.message).to.equal('admin access to /command/events refused for user user');
    expect(err.details).to.deep.include({ right: 'admin', destination: '/command/events' });
    expect(admin.subscribe('/command/events').subscription.destination).to.equal('/command/events');
    expect(broker.mqm.destinationStats('/command/events').subscribers).to.equal(1);
  });

  it('refuses a non-admin send to /command/events as ACCESS_DENIED too', async () => {
    await expectWharfError(() => user.send('/command/events', ''), ErrorCodes.ACCESS_DENIED);
  });

  it('refuses the in-process reference methods without the admin right', async () => {
    const session = user.session;
    for (const [name, fn] of [
      ['destroy', () => session.destroy('/queue/billing')],
      ['list', () => session.list()],
      ['stats', () => session.stats('/queue/billing')],
    ] as const) {
      const err = await expectWharfError(fn, ErrorCodes.ACCESS_DENIED);
      expect(err.details, name).to.deep.include({ right: 'admin' });
    }
    expect(admin.session.list().length).to.be.greaterThan(0);
  });
});
