/** Broken: a topic that hands a new subscriber every message sent to it before it attached. */
import type { Consumer, Message } from '@wharf/core';
import { brokenTopic, realTopic, WrappedDestination } from '../support/queue-variant.js';

export default brokenTopic('history-to-late-subscribers', (name, settings, ctx) => new class extends WrappedDestination {
  private readonly history: Message[] = [];

  override publish(message: Message) {
    this.history.push(message);
    return this.inner.publish(message);
  }

  override attach(consumer: Consumer) {
    this.history.forEach((message, i) => consumer.deliver({ message, tag: -this.history.length + i, redelivered: false, deliveryCount: 1 }));
    return this.inner.attach(consumer);
  }
}(realTopic(name, settings, ctx)));
