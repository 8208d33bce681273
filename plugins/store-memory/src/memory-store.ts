/**
 * A Store kept in memory: the durable store contract without a disk. The instance is the "disk":
 * close() keeps what was written and setup() opens it again, so a test restarts a broker on the
 * same instance to check what survives; a new instance starts empty. Nothing survives the process.
 */
import type { Message, Store, StoreOp, StoredDestination, StoredMessage, StoredRecovery } from '@wharf/core';

interface Entry {
  readonly message: Message;
  deliveryCount: number;
}

/** An operation with every field read and copied: applying it cannot throw. */
type Prepared =
  | { readonly op: 'append'; readonly destination: string; readonly message: Message }
  | { readonly op: 'delivered' | 'remove'; readonly destination: string; readonly id: string }
  | { readonly op: 'purge'; readonly destination: string }
  | { readonly op: 'save-destination'; readonly destination: StoredDestination }
  | { readonly op: 'delete-destination'; readonly name: string }
  | { readonly op: 'horizon'; readonly destination: string; readonly horizon: string | null }
  | { readonly op: 'clean'; readonly clean: boolean };

export class MemoryStore implements Store {
  readonly name: string;
  private opened = false;
  /** Destination records, in the order first saved (a Map keeps insertion order). */
  private readonly records = new Map<string, StoredDestination>();
  /** Per destination: id -> entry, in append order. */
  private readonly messages = new Map<string, Map<string, Entry>>();
  private fault: Error | undefined;
  /** The recovery record (Store.recovery): the clean-stop marker and the delivery horizons. */
  private clean = true;
  private readonly horizons = new Map<string, string>();

  constructor(options: { readonly name?: string } = {}) {
    this.name = options.name ?? 'memory';
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /**
   * Makes every write fail with `error` until called again without one: a disk that is full or
   * gone, for tests of what the broker does then. Nothing of a failed write is applied.
   */
  failWrites(error?: Error): void {
    this.fault = error;
  }

  async setup(): Promise<void> {
    this.opened = true;
  }

  async write(ops: readonly StoreOp[]): Promise<void> {
    if (!this.opened) throw new Error(`the ${this.name} store is not open`);
    if (this.fault !== undefined) throw this.fault;
    // Read and copy everything first: if reading any operation throws, nothing is applied.
    const prepared = ops.map(prepare);
    for (const op of prepared) this.apply(op);
  }

  async destinations(): Promise<StoredDestination[]> {
    this.assertOpen();
    return [...this.records.values()];
  }

  async *replay(destination: string): AsyncIterable<StoredMessage> {
    this.assertOpen();
    const entries = [...(this.messages.get(destination)?.values() ?? [])];
    for (const entry of entries) yield { message: entry.message, deliveryCount: entry.deliveryCount };
  }

  async recovery(): Promise<StoredRecovery> {
    this.assertOpen();
    return { clean: this.clean, horizons: new Map(this.horizons) };
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  private apply(op: Prepared): void {
    switch (op.op) {
      case 'append': {
        let entries = this.messages.get(op.destination);
        if (entries === undefined) this.messages.set(op.destination, (entries = new Map()));
        if (!entries.has(op.message.id)) entries.set(op.message.id, { message: op.message, deliveryCount: 0 });
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

  private assertOpen(): void {
    if (!this.opened) throw new Error(`the ${this.name} store is not open`);
  }
}

function prepare(op: StoreOp): Prepared {
  switch (op.op) {
    case 'append': {
      const m = op.message;
      const message: Message = {
        id: String(m.id),
        destination: String(m.destination),
        headers: { ...m.headers },
        body: Buffer.from(m.body), // a copy: what the caller does with its bytes later changes nothing here
        persistent: m.persistent === true,
        timestamp: Number(m.timestamp),
      };
      return { op: 'append', destination: String(op.destination), message };
    }
    case 'delivered':
    case 'remove':
      return { op: op.op, destination: String(op.destination), id: String(op.id) };
    case 'purge':
      return { op: 'purge', destination: String(op.destination) };
    case 'save-destination': {
      const d = op.destination;
      const children = d.children === undefined ? undefined : [...d.children].map(String);
      return { op: 'save-destination', destination: { name: String(d.name), type: String(d.type), ...(children ? { children } : {}) } };
    }
    case 'delete-destination':
      return { op: 'delete-destination', name: String(op.name) };
    case 'horizon':
      return { op: 'horizon', destination: String(op.destination), horizon: op.horizon === null ? null : String(op.horizon) };
    case 'clean':
      return { op: 'clean', clean: op.clean === true };
    default:
      throw new Error(`unknown store operation ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}
