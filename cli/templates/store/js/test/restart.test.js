/** This store's own behaviour: what was written is there after close() and setup() (a restart). */
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { InMemoryStore } from '../src/store.js';

/** @param {string} id */
const message = (id) => ({ id, destination: '/queue/a', headers: {}, body: Buffer.from(id), persistent: true, timestamp: 1 });

describe('__NAME__: restart', () => {
  it('keeps the messages not removed, in append order, with their delivery counts', async () => {
    const store = new InMemoryStore('__NAME__');
    await store.setup();
    await store.write([
      { op: 'append', destination: '/queue/a', message: message('m1') },
      { op: 'append', destination: '/queue/a', message: message('m2') },
      { op: 'append', destination: '/queue/a', message: message('m3') },
      { op: 'delivered', destination: '/queue/a', id: 'm3' },
      { op: 'remove', destination: '/queue/a', id: 'm2' },
    ]);
    await store.close();
    await store.setup();
    /** @type {import('@wharf/core').StoredMessage[]} */
    const replayed = [];
    for await (const stored of store.replay('/queue/a')) replayed.push(stored);
    expect(replayed.map((s) => [s.message.id, s.deliveryCount])).to.deep.equal([['m1', 0], ['m3', 1]]);
  });
});
