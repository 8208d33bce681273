/**
 * Broken: drops a message under backpressure. When its write buffer is full it throws the delivery
 * away and still answers `true`, so the destination keeps delivering into a client that reads
 * nothing, and whatever arrives while the buffer is full is lost.
 * Caught by: "stops delivering to a client that stops reading; after it reads again nothing is lost".
 */
import { definePlugin, type Delivery } from '@wharf/core';
import { LineAdapter, type LineConsumer } from './line/adapter.js';

class DropsUnderBackpressure extends LineAdapter {
  override deliver(consumer: LineConsumer, delivery: Delivery): boolean {
    const writer = consumer.connection.writer;
    if (!writer.full) writer.write(consumer.encode(delivery));
    return true;
  }
}

export default definePlugin({ kind: 'protocol', name: 'broken-drops-under-backpressure', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new DropsUnderBackpressure());
});
