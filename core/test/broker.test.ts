import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Broker, createLogger, definePlugin, inject, injectable, Tokens, type Logger } from '../src/index.js';
import { QueueTypeRegistry } from '../src/kernel/registries.js';
import { tinyTypesPlugin, RecordingDestination } from './helpers/tiny-types.js';

const silent = createLogger('silent');

describe('Broker', () => {
  it('keeps two brokers in one process apart: containers, destinations and plugin instances', async () => {
    const a = await Broker.create({ plugins: [tinyTypesPlugin] }, { logger: silent });
    const b = await Broker.create({ plugins: [tinyTypesPlugin] }, { logger: silent });
    await a.start();
    await b.start();
    try {
      expect(a.container).to.not.equal(b.container);
      expect(a.queueTypes.types.get('queue')).to.not.equal(b.queueTypes.types.get('queue'));
      a.mqm.createDestination('/queue/only-in-a');
      await a.mqm.publish('/queue/only-in-a', {}, Buffer.from('x'));
      expect(a.mqm.listDestinations().map((d) => d.name)).to.deep.equal(['/queue/only-in-a']);
      expect(b.mqm.listDestinations()).to.deep.equal([]);
      expect((a.mqm.lookup('/queue/only-in-a') as RecordingDestination).messages).to.have.length(1);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('resolves plugin classes through the broker container with decorator metadata', async () => {
    // A plugin class whose constructor takes the broker's logger by token: this only works when
    // the compiled output carries design:paramtypes / tsyringe's inject metadata.
    class Clock {
      now(): number { return 42; }
    }
    @injectable()
    class LoggingType {
      readonly type = 'logging';
      // `clock` has no @inject: the container finds its class only through design:paramtypes.
      constructor(@inject(Tokens.Logger) readonly logger: Logger, readonly clock: Clock) {}
      create = (): never => { throw new Error('unused'); };
    }
    const plugin = definePlugin({ kind: 'queue-type', name: 'logging-type', core: '^0.1.0' }, (ctx) => ctx.queueType(LoggingType));
    const broker = await Broker.create({ plugins: [tinyTypesPlugin, plugin] }, { logger: silent });
    const type = broker.queueTypes.types.get('logging') as unknown as LoggingType;
    expect(type).to.be.instanceOf(LoggingType);
    expect(type.logger).to.equal(silent);
    expect(type.clock).to.be.instanceOf(Clock);
    expect(type.clock.now()).to.equal(42);
    expect(Reflect.getMetadata('design:paramtypes', QueueTypeRegistry)).to.have.length(1);
  });

  it('emits decorator metadata in the compiled JavaScript', () => {
    const compiled = readFileSync(new URL('../src/kernel/registries.js', import.meta.url), 'utf8');
    expect(compiled).to.match(/__metadata\("design:paramtypes"/);
    expect(compiled).to.match(/__param\(0, injectAll\(/);
  });

  it('starts with no listeners, creates configured pubsubs, and stops cleanly', async () => {
    const broker = await Broker.create({
      plugins: [tinyTypesPlugin],
      pubsub: { '/pubsub/orders': { children: [] } },
    }, { logger: silent });
    await broker.start();
    expect(broker.running).to.equal(true);
    expect(broker.mqm.lookup('/pubsub/orders')?.type).to.equal('pubsub');
    await broker.stop();
    expect(broker.running).to.equal(false);
    await broker.stop(); // idempotent
  });

  it('runs plugin stop hooks in reverse order', async () => {
    const order: string[] = [];
    const make = (name: string) => definePlugin({ kind: 'extension', name, core: '^0.1.0' }, (ctx) => {
      ctx.onStart(() => void order.push(`start ${name}`));
      ctx.onStop(() => void order.push(`stop ${name}`));
    });
    const broker = await Broker.create({ plugins: [tinyTypesPlugin, make('one'), make('two')] }, { logger: silent });
    await broker.start();
    await broker.stop();
    expect(order).to.deep.equal(['start one', 'start two', 'stop two', 'stop one']);
  });
});
