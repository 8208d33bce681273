/**
 * Stores for the queue-type suite's durability checks: a small in-memory Store (the testkit cannot
 * depend on @wharf/store-memory, whose tests depend on the testkit), and a wrapper around any
 * Store whose writes can be made to fail, as a full or vanished disk would.
 */
import { ErrorCodes, WharfError, definePlugin, type Message, type PluginDefinition, type Store, type StoreOp, type StoredDestination, type StoredMessage, type StoredRecovery } from '@wharf/core';

/**
 * The Store contract in memory. The instance is the "disk": close() keeps what was written and
 * setup() opens it again, so a broker restarted on the same instance finds what the first kept.
 */
export class InMemoryTestStore implements Store {
  readonly name = 'testkit-memory';
  private readonly records = new Map<string, StoredDestination>();
  private readonly messages = new Map<string, Map<string, { message: Message; deliveryCount: number }>>();
  private clean = true;
  private readonly horizons = new Map<string, string>();

  async setup(): Promise<void> {}

  async write(ops: readonly StoreOp[]): Promise<void> {
    for (const op of ops) this.apply(op);
  }

  async destinations(): Promise<StoredDestination[]> {
    return [...this.records.values()];
  }

  async *replay(destination: string): AsyncIterable<StoredMessage> {
    for (const entry of [...(this.messages.get(destination)?.values() ?? [])]) yield { ...entry };
  }

  async recovery(): Promise<StoredRecovery> {
    return { clean: this.clean, horizons: new Map(this.horizons) };
  }

  async close(): Promise<void> {}

  private apply(op: StoreOp): void {
    switch (op.op) {
      case 'append': {
        let entries = this.messages.get(op.destination);
        if (entries === undefined) this.messages.set(op.destination, (entries = new Map()));
        const m = op.message;
        if (!entries.has(m.id)) entries.set(m.id, { message: { ...m, headers: { ...m.headers }, body: Buffer.from(m.body) }, deliveryCount: 0 });
        break;
      }
      case 'delivered': {
        const entry = this.messages.get(op.destination)?.get(op.id);
        if (entry !== undefined) entry.deliveryCount++;
        break;
      }
      case 'remove':
        this.messages.get(op.destination)?.delete(op.id);
        break;
      case 'purge':
        this.messages.delete(op.destination);
        break;
      case 'save-destination':
        this.records.set(op.destination.name, op.destination);
        break;
      case 'delete-destination':
        this.records.delete(op.name);
        this.messages.delete(op.name);
        this.horizons.delete(op.name);
        break;
      case 'horizon':
        if (op.horizon === null) this.horizons.delete(op.destination);
        else this.horizons.set(op.destination, op.horizon);
        break;
      case 'clean':
        this.clean = op.clean;
        break;
    }
  }
}

/** Wraps a Store; `failWrites(true)` makes every write reject (and apply nothing) until `failWrites(false)`. */
export class FaultInjectingStore implements Store {
  readonly name: string;
  private failing = false;
  /** Writes refused since the store was made. */
  refused = 0;

  /** The inner store's, when it has one (Store.recovery is optional). */
  readonly recovery?: () => Promise<StoredRecovery>;

  constructor(private readonly inner: Store) {
    this.name = inner.name;
    if (inner.recovery !== undefined) this.recovery = () => inner.recovery!();
  }

  failWrites(failing: boolean): void {
    this.failing = failing;
  }

  setup(): Promise<void> {
    return this.inner.setup();
  }

  async write(ops: readonly StoreOp[]): Promise<void> {
    if (this.failing) {
      this.refused++;
      throw new WharfError(ErrorCodes.STORE, 'the store refused the write (a fault injected by the queue-type conformance suite)', {
        hint: 'this is a test: the suite checks that a message whose write failed is neither accepted nor delivered',
      });
    }
    await this.inner.write(ops);
  }

  destinations(): Promise<StoredDestination[]> {
    return this.inner.destinations();
  }

  replay(destination: string): AsyncIterable<StoredMessage> {
    return this.inner.replay(destination);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A store plugin providing `store` (the same instance to every broker it is loaded into). */
export function storePluginFor(store: Store): PluginDefinition<never> {
  return definePlugin({ kind: 'store', name: `testkit-store-${store.name}`, core: '>=0.1.0' }, (ctx) => ctx.store(store)) as PluginDefinition<never>;
}
