/** Broken: a topic whose second subscriber never receives anything. */
import type { Consumer } from '@wharf/core';
import { brokenTopic, consumerWith, realTopic, WrappedDestination } from '../support/queue-variant.js';

export default brokenTopic('skips-a-subscriber', (name, settings, ctx) => new class extends WrappedDestination {
  private attached = 0;

  override attach(consumer: Consumer) {
    return this.inner.attach(++this.attached === 2 ? consumerWith(consumer, { deliver: () => true }) : consumer);
  }
}(realTopic(name, settings, ctx)));
