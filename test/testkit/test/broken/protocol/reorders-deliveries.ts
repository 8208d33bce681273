/**
 * Broken: delivers out of order. It gathers each connection's deliveries of one tick and writes
 * them newest first (a stack where a queue belongs), so a burst reaches the client reversed.
 * Caught by: "queue: holds messages for the first subscriber, then gives each message to one subscriber".
 */
import { definePlugin, type Delivery } from '@wharf/core';
import { LineAdapter, type LineConnection, type LineConsumer } from './line/adapter.js';

class ReordersDeliveries extends LineAdapter {
  private readonly pending = new Map<LineConnection, Buffer[]>();

  override deliver(consumer: LineConsumer, delivery: Delivery): boolean {
    const connection = consumer.connection;
    let lines = this.pending.get(connection);
    if (lines === undefined) {
      lines = [];
      this.pending.set(connection, lines);
      setImmediate(() => this.flush(connection));
    }
    lines.push(consumer.encode(delivery));
    return !connection.writer.full;
  }

  private flush(connection: LineConnection): void {
    const lines = this.pending.get(connection) ?? [];
    this.pending.delete(connection);
    while (lines.length > 0) connection.writer.write(lines.pop()!);
  }
}

export default definePlugin({ kind: 'protocol', name: 'broken-reorders-deliveries', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new ReordersDeliveries());
});
