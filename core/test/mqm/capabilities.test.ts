/**
 * A queue type reaches beyond its own destinations (the unchecked admin API, other destinations,
 * broker events) only when its definition declares the capability (QueueType.capabilities).
 */
import { expect } from 'chai';
import { Broker, createLogger, definePlugin, type QueueCapability, type QueueContext, type QueueType } from '../../src/index.js';
import { RecordingDestination } from '../helpers/tiny-types.js';

const silent = createLogger('silent');

/** Records the context each destination of the type got. */
function capturing(type: string, capabilities?: readonly QueueCapability[]): QueueType & { contexts: QueueContext[] } {
  const contexts: QueueContext[] = [];
  return {
    type, contexts, ...(capabilities ? { capabilities } : {}),
    create: (name, settings, ctx) => {
      contexts.push(ctx);
      return new RecordingDestination(name, type, settings, ctx);
    },
  };
}

describe('queue-type capabilities', () => {
  const ordinary = capturing('queue');
  const lookupOnly = capturing('pubsub', ['lookup']);
  const everything = capturing('command', ['admin', 'lookup', 'events']);
  const topic = capturing('topic');
  let broker: Broker;

  before(async () => {
    const plugin = definePlugin({ kind: 'queue-type', name: 'capturing', core: '^0.1.0' }, (ctx) => {
      for (const type of [ordinary, lookupOnly, everything, topic]) ctx.queueType(type);
    });
    broker = await Broker.create({ plugins: [plugin] }, { logger: silent });
    await broker.start();
    broker.mqm.createDestination('/queue/plain');
    broker.mqm.createDestination('/pubsub/p');
    broker.mqm.createDestination('/command/list');
  });
  after(() => broker.stop());

  it('gives an ordinary type no admin API, no lookup and no broker events', () => {
    const ctx = ordinary.contexts[0]!;
    expect(ctx.admin).to.equal(undefined);
    expect(ctx.lookup).to.equal(undefined);
    expect(ctx.onEvent).to.equal(undefined);
    expect(Object.keys(ctx)).to.not.include.members(['admin', 'lookup', 'onEvent']);
  });

  it('still lets an ordinary type forward into other destinations and make messages', () => {
    const ctx = ordinary.contexts[0]!;
    const message = ctx.createMessage('/queue/target', {}, Buffer.from('x'));
    ctx.forward('/queue/target', message);
    expect((broker.mqm.lookup('/queue/target') as RecordingDestination).messages).to.deep.equal([message]);
    expect(() => ctx.prepareForward('/queue/target', [message])).to.not.throw();
  });

  it('gives only the capabilities a type declares', () => {
    const ctx = lookupOnly.contexts[0]!;
    expect(ctx.lookup!('/queue/plain')?.name).to.equal('/queue/plain');
    expect(ctx.admin).to.equal(undefined);
    expect(ctx.onEvent).to.equal(undefined);
  });

  it('gives a type that declares them all the admin API, lookup and events', () => {
    const ctx = everything.contexts[0]!;
    expect(ctx.admin!.listDestinations().map((d) => d.name)).to.include('/queue/plain');
    expect(ctx.lookup!('/pubsub/p')?.type).to.equal('pubsub');
    const seen: string[] = [];
    const stop = ctx.onEvent!((event) => seen.push(event.type));
    broker.mqm.createDestination('/queue/late');
    stop();
    expect(seen).to.deep.equal(['destination.created']);
  });
});
