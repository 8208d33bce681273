/**
 * Delivery horizons (delivery-horizons.ts): a delivery waits until a horizon covering it has
 * committed; the horizon is asked for a block at a time, half a block ahead; the consumer in front
 * holds deliveries in order and resumes its subscription once they went.
 */
import { expect } from 'chai';
import type { Consumer, Delivery, Message, SessionInfo, Subscription } from '../../src/index.js';
import { DeliveryHorizons, FIRST_BLOCK, type HorizonServices } from '../../src/mqm/delivery-horizons.js';
import { IdMinter } from '../../src/mqm/id-minter.js';
import { readHorizon } from '../../src/mqm/crash-flags.js';

/** Services whose writes commit when the test says. */
function services(minter: IdMinter) {
  const writes: Array<{ destination: string; horizon: string; commit: () => void }> = [];
  const svc: HorizonServices = {
    run: minter.run,
    ahead: (id, n) => minter.ahead(id, n),
    writeHorizon: (destination, horizon) => new Promise<void>((resolve) => writes.push({ destination, horizon, commit: resolve })),
  };
  const commitAll = async (): Promise<void> => {
    for (const w of writes.splice(0)) w.commit();
    for (let i = 0; i < 3; i++) await Promise.resolve();
  };
  return { svc, writes, commitAll };
}

const message = (id: string, persistent = true): Message => ({ id, destination: '/queue/q', headers: {}, body: new Uint8Array(0), persistent, timestamp: 0 });

class Recorder implements Consumer {
  readonly id = 'c';
  readonly session = { id: 's', closed: false } as unknown as SessionInfo;
  readonly ackMode = 'client-individual' as const;
  readonly prefetch = 0;
  readonly got: string[] = [];
  answer = true;
  deliver(d: Delivery): boolean {
    this.got.push(d.message.id);
    return this.answer;
  }
  cancel(): void {}
}

describe('delivery horizons (delivery-horizons.ts)', () => {
  it('holds a delivery past the horizon until the horizon covering it committed, then hands over in order and resumes', async () => {
    const minter = new IdMinter({ nodeId: 't' });
    const { svc, writes, commitAll } = services(minter);
    const horizons = new DeliveryHorizons(svc);
    const inner = new Recorder();
    const consumer = horizons.wrap(inner, '/queue/q');
    let resumed = 0;
    consumer.subscription = { resume: () => void resumed++ } as unknown as Subscription;
    const ids = Array.from({ length: 3 }, () => minter.next());
    horizons.of('/queue/q').active = true;
    expect(consumer.deliver({ message: message(ids[0]!), tag: 1, redelivered: false, deliveryCount: 1 }), 'held: answers false').to.equal(false);
    expect(consumer.deliver({ message: message(ids[1]!), tag: 2, redelivered: false, deliveryCount: 1 })).to.equal(false);
    expect(inner.got, 'nothing reaches the client before the horizon is durable').to.deep.equal([]);
    expect(writes).to.have.length(1);
    const record = readHorizon(writes[0]!.horizon)!;
    expect(record.run).to.equal(minter.run);
    expect(record.upTo >= ids[1]!, 'the block covers what is held').to.equal(true);
    await commitAll();
    expect(inner.got).to.deep.equal([ids[0], ids[1]]);
    expect(resumed, 'the subscription resumed').to.equal(1);
    expect(consumer.deliver({ message: message(ids[2]!), tag: 3, redelivered: false, deliveryCount: 1 }), 'covered: at once').to.equal(true);
    expect(writes, 'no write for a covered delivery').to.have.length(0);
  });

  it('asks for the next block half a block ahead, so that steady deliveries do not wait; plain messages of a persistent-only queue pass', async () => {
    const minter = new IdMinter({ nodeId: 't' });
    const { svc, writes, commitAll } = services(minter);
    const horizons = new DeliveryHorizons(svc);
    const inner = new Recorder();
    const consumer = horizons.wrap(inner, '/queue/q');
    horizons.of('/queue/q').appended(message(minter.next()));
    expect(writes, 'deliveries caught up with appends: the block is asked for with the append').to.have.length(1);
    await commitAll();
    let waited = 0;
    for (let i = 0; i < 4 * FIRST_BLOCK; i++) {
      if (!consumer.deliver({ message: message(minter.next()), tag: i, redelivered: false, deliveryCount: 1 })) waited++;
      if (i % 64 === 0) await commitAll();
    }
    expect(waited, 'no delivery waited').to.equal(0);
    expect(inner.got).to.have.length(4 * FIRST_BLOCK);
    const before = writes.length;
    expect(consumer.deliver({ message: message('plain-elsewhere', false), tag: 0, redelivered: false, deliveryCount: 1 })).to.equal(true);
    expect(writes.length).to.equal(before);
  });

  it('covers restored messages by their place, and any id of another run once it meets one it does not know', async () => {
    const minter = new IdMinter({ nodeId: 't' });
    const { svc, writes, commitAll } = services(minter);
    const horizons = new DeliveryHorizons(svc);
    const restored = Array.from({ length: 3 * FIRST_BLOCK }, (_, i) => `old-${String(i).padStart(5, '0')}`);
    horizons.restored('/queue/q', restored, false);
    const start = horizons.atStart();
    expect(start.ops, 'the first block is asked for at start').to.have.length(1);
    expect(readHorizon((start.ops[0] as { horizon: string }).horizon)!.before).to.equal(restored[FIRST_BLOCK]);
    const inner = new Recorder();
    const consumer = horizons.wrap(inner, '/queue/q');
    expect(consumer.deliver({ message: message(restored[0]!), tag: 1, redelivered: true, deliveryCount: 2 }), 'not before the start batch committed').to.equal(false);
    start.committed();
    await commitAll();
    expect(inner.got).to.deep.equal([restored[0]]);
    expect(consumer.deliver({ message: message('foreign'), tag: 2, redelivered: false, deliveryCount: 1 })).to.equal(false);
    expect(readHorizon(writes[writes.length - 1]!.horizon)!.before, 'an unknown id of another run: all of them covered').to.equal(null);
    await commitAll();
    expect(inner.got).to.deep.equal([restored[0], 'foreign']);
  });

  it('drops held deliveries when the subscription ends', async () => {
    const minter = new IdMinter({ nodeId: 't' });
    const { svc, commitAll } = services(minter);
    const horizons = new DeliveryHorizons(svc);
    const inner = new Recorder();
    const consumer = horizons.wrap(inner, '/queue/q');
    horizons.of('/queue/q').active = true;
    consumer.deliver({ message: message(minter.next()), tag: 1, redelivered: false, deliveryCount: 1 });
    consumer.end();
    await commitAll();
    expect(inner.got, 'the destination takes them back; the client never sees them').to.deep.equal([]);
  });
});
