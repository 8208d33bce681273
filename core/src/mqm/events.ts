/** Broker events (destinations, children, clients, subscriptions) for `/command/events` and tests. */
import type { Logger } from 'pino';
import type { BrokerEvent } from '../spi/admin.js';

export class EventBus {
  private readonly listeners = new Set<(event: BrokerEvent) => void>();

  constructor(private readonly logger: Logger) {}

  on(listener: (event: BrokerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** emit() as a function to hand to services; does nothing while nobody listens. */
  readonly emitter = (event: BrokerEvent): void => {
    if (this.listeners.size > 0) this.emit(event);
  };

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  emit(event: BrokerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // A failing listener must not break the operation that raised the event.
        this.logger.error({ err, event: event.type }, 'event listener failed');
      }
    }
  }
}
