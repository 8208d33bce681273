/**
 * COMMIT is all or nothing (STOMP 1.2 §COMMIT): every operation is validated before any is
 * applied, and the error names the one that failed. Driven through core's sessions with small
 * queue types of this file, so it depends on no queue-type plugin.
 */
import { expect } from 'chai';
import {
  Broker, createLogger, definePlugin, ErrorCodes, WharfError,
  type ClientSession, type Consumer, type Destination, type Message, type QueueType, type Settlement, type Subscription,
} from '../src/index.js';

const silent = createLogger('silent');
const body = (text: string) => ({ headers: {}, body: Buffer.from(text) });

/** Holds at most `capacity` messages; `prepare` says which message would not fit (with details.index unless `quiet`). */
class Bounded implements Destination {
  readonly type = 'bounded';
  readonly messages: Message[] = [];
  readonly settled: string[] = [];
  delivered = 0;
  private readonly consumers: Consumer[] = [];
  constructor(readonly name: string, private readonly capacity: number, private readonly quiet: boolean) {}
  private full(): WharfError {
    return new WharfError(ErrorCodes.OVERFLOW, `${this.name} is full`, { hint: 'wait', details: { destination: this.name } });
  }
  publish(message: Message): void {
    if (this.messages.length >= this.capacity) throw this.full();
    this.messages.push(message);
  }
  prepare(messages: readonly Message[]): void {
    const room = this.capacity - this.messages.length;
    if (messages.length <= room) return;
    const err = this.full();
    if (!this.quiet) err.details['index'] = Math.max(0, room);
    throw err;
  }
  attach(consumer: Consumer): Subscription {
    this.consumers.push(consumer);
    const open = new Set([1, 2, 3]);
    const settle = (kind: string, tag: number): void => {
      if (!open.delete(tag)) throw new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `no delivery ${tag}`);
      this.settled.push(`${kind} ${tag}`);
    };
    return {
      destination: this.name, consumer,
      ack: (tag) => settle('ack', tag),
      nack: (tag) => settle('nack', tag),
      prepare: (settlements: readonly Settlement[]) => {
        const left = new Set(open);
        settlements.forEach(({ tag }, index) => {
          if (!left.delete(tag)) throw new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `no delivery ${tag}`, { details: { index } });
        });
      },
      resume: () => undefined,
      detach: () => undefined,
    };
  }
  purge(): number { return this.messages.splice(0).length; }
  stats() { return { subscribers: this.consumers.length, depth: this.messages.length, unacked: 0, enqueued: this.messages.length, delivered: 0, dropped: 0 }; }
  close(): void {}
}

/** A Bounded without prepare: core can check rights and routing, not the destination. */
function unprepared(name: string): Destination {
  const destination = new Bounded(name, 2, false);
  Object.defineProperty(destination, 'prepare', { value: undefined });
  return destination;
}

const boundedType = (type: string, make: (name: string) => Destination): QueueType => ({ type, create: (name) => make(name) });
const plugin = definePlugin({ kind: 'queue-type', name: 'commit-test-types', core: '^0.1.0' }, (ctx) => {
  ctx.queueType(boundedType('bounded', (name) => new Bounded(name, 2, false)));
  ctx.queueType(boundedType('quiet', (name) => new Bounded(name, 2, true)));
  ctx.queueType(boundedType('unprepared', unprepared));
});

describe('COMMIT: all or nothing', () => {
  let broker: Broker;
  let session: ClientSession;
  const at = (name: string) => broker.mqm.lookup(name) as Bounded;

  beforeEach(async () => {
    broker = await Broker.create({
      plugins: [plugin],
      routing: {
        rules: [
          { match: '^/quiet/', type: 'quiet' },
          { match: '^/unprepared/', type: 'unprepared' },
        ],
        prefixes: { '/queue/': 'bounded', '/pubsub/': 'bounded', '/command/': 'bounded' },
        fallback: 'bounded',
      },
    }, { logger: silent });
    await broker.start();
    session = await broker.mqm.connect({}, {
      id: 'c1', protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false,
    }, { close: () => undefined });
  });
  afterEach(() => broker.stop());

  function commitError(transaction: string): WharfError {
    try {
      session.commit(transaction);
    } catch (err) {
      expect(err).to.be.instanceOf(WharfError);
      return err as WharfError;
    }
    throw new Error('the commit was expected to fail');
  }

  it('applies no SEND when one in the middle would overflow, and names it', () => {
    session.begin('tx1');
    session.send('/q/other', body('first'), 'tx1');
    for (const text of ['a', 'b', 'c']) session.send('/q/x', body(text), 'tx1');
    session.send('/q/other', body('last'), 'tx1');
    const err = commitError('tx1');
    expect(err.code).to.equal(ErrorCodes.OVERFLOW);
    expect(err.message).to.match(/^operation 4 of transaction tx1 \(SEND to \/q\/x\): \/q\/x is full/);
    expect(err.hint).to.contain('nothing of the transaction was applied');
    expect(err.details).to.include({ transaction: 'tx1', operation: 4, destination: '/q/x' });
    expect(at('/q/x').messages).to.have.length(0);
    expect(at('/q/other').messages).to.have.length(0);
    // The session goes on: a transaction that fits is applied whole.
    session.begin('tx2');
    session.send('/q/x', body('a'), 'tx2');
    session.send('/q/x', body('b'), 'tx2');
    session.commit('tx2');
    expect(at('/q/x').messages.map((m) => Buffer.from(m.body).toString())).to.deep.equal(['a', 'b']);
  });

  it('finds the refused operation by itself when the type does not say which (no details.index)', () => {
    session.begin('tx');
    for (const text of ['a', 'b', 'c']) session.send('/quiet/x', body(text), 'tx');
    const err = commitError('tx');
    expect(err.message).to.match(/^operation 3 of transaction tx \(SEND to \/quiet\/x\)/);
    expect(at('/quiet/x').messages).to.have.length(0);
  });

  it('applies no ACK when one in the middle names a delivery already settled, and names it', () => {
    const sub = session.subscribe('/q/acks', { id: 's', session, ackMode: 'client-individual', prefetch: 0, deliver: () => true, cancel: () => undefined });
    session.begin('tx');
    session.ack(sub, 1, 'tx');
    session.send('/q/out', body('x'), 'tx');
    session.ack(sub, 1, 'tx');
    session.nack(sub, 2, 'tx');
    const err = commitError('tx');
    expect(err.code).to.equal(ErrorCodes.UNKNOWN_SUBSCRIPTION);
    expect(err.message).to.match(/^operation 3 of transaction tx \(ACK of delivery 1 on \/q\/acks\): no delivery 1/);
    expect(at('/q/acks').settled).to.deep.equal([]);
    expect(at('/q/out').messages).to.have.length(0);
  });

  it('refuses the whole transaction when an ACK names a subscription that ended', () => {
    const sub = session.subscribe('/q/gone', { id: 's', session, ackMode: 'client', prefetch: 0, deliver: () => true, cancel: () => undefined });
    session.begin('tx');
    session.send('/q/out', body('x'), 'tx');
    session.ack(sub, 1, 'tx');
    session.unsubscribe(sub);
    const err = commitError('tx');
    expect(err.code).to.equal(ErrorCodes.UNKNOWN_SUBSCRIPTION);
    expect(err.message).to.match(/^operation 2 of transaction tx \(ACK of delivery 1 on \/q\/gone\)/);
    expect(at('/q/out').messages).to.have.length(0);
  });

  it('applies every operation in arrival order when all are accepted', async () => {
    const sub = session.subscribe('/q/ok', { id: 's', session, ackMode: 'client-individual', prefetch: 0, deliver: () => true, cancel: () => undefined });
    session.begin('tx');
    session.send('/q/ok', body('a'), 'tx');
    session.ack(sub, 2, 'tx');
    session.nack(sub, 1, 'tx');
    await session.commit('tx');
    expect(at('/q/ok').messages.map((m) => Buffer.from(m.body).toString())).to.deep.equal(['a']);
    expect(at('/q/ok').settled).to.deep.equal(['ack 2', 'nack 1']);
  });

  it('validates a type without prepare only as far as core can: its refusal during the commit says what took effect', () => {
    session.begin('tx');
    for (const text of ['a', 'b', 'c']) session.send('/unprepared/x', body(text), 'tx');
    const err = commitError('tx');
    expect(err.message).to.match(/^operation 3 of transaction tx \(SEND to \/unprepared\/x\)/);
    expect(err.hint).to.contain('operations 1 to 2 of the transaction took effect');
    expect(at('/unprepared/x').messages).to.have.length(2);
  });
});
