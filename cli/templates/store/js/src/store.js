/**
 * A durable store kept in memory: the Store contract of @wharf/core without a disk. The instance is
 * the "disk": close() keeps what was written and setup() opens it again, so a broker restarted on
 * the same instance gets its messages back; nothing survives the process. Replace the Maps by your
 * storage (a file, a database) and keep the rules: a batch is applied whole or not at all, in order.
 */

/** @typedef {import('@wharf/core').Message} Message */
/** @typedef {import('@wharf/core').Store} Store */
/** @typedef {import('@wharf/core').StoreOp} StoreOp */
/** @typedef {import('@wharf/core').StoredDestination} StoredDestination */
/** @typedef {import('@wharf/core').StoredMessage} StoredMessage */
/** @typedef {{ message: Message, deliveryCount: number }} Entry */

/** @implements {Store} */
export class InMemoryStore {
  #open = false;
  /** Destination records, in the order first saved (a Map keeps insertion order). @type {Map<string, StoredDestination>} */
  #records = new Map();
  /** Per destination: message id → entry, in append order. @type {Map<string, Map<string, Entry>>} */
  #messages = new Map();

  /** @param {string} name */
  constructor(name) {
    this.name = name;
  }

  async setup() {
    this.#open = true;
  }

  /** @param {readonly StoreOp[]} ops */
  async write(ops) {
    this.#assertOpen();
    // Copy everything first: if reading any operation throws, nothing of the batch is applied.
    const copies = ops.map(copy);
    for (const op of copies) this.#apply(op);
  }

  /** @returns {Promise<StoredDestination[]>} */
  async destinations() {
    this.#assertOpen();
    return [...this.#records.values()];
  }

  /** @param {string} destination @returns {AsyncIterable<StoredMessage>} */
  async *replay(destination) {
    this.#assertOpen();
    for (const entry of [...(this.#messages.get(destination)?.values() ?? [])]) {
      yield { message: entry.message, deliveryCount: entry.deliveryCount };
    }
  }

  async close() {
    this.#open = false;
  }

  /** @param {StoreOp} op */
  #apply(op) {
    switch (op.op) {
      case 'append': {
        let entries = this.#messages.get(op.destination);
        if (entries === undefined) this.#messages.set(op.destination, (entries = new Map()));
        if (!entries.has(op.message.id)) entries.set(op.message.id, { message: op.message, deliveryCount: 0 });
        break;
      }
      case 'delivered': {
        const entry = this.#messages.get(op.destination)?.get(op.id);
        if (entry !== undefined) entry.deliveryCount++;
        break;
      }
      case 'remove':
        this.#messages.get(op.destination)?.delete(op.id);
        break;
      case 'purge':
        this.#messages.delete(op.destination);
        break;
      case 'save-destination':
        this.#records.set(op.destination.name, op.destination);
        break;
      case 'delete-destination':
        this.#records.delete(op.name);
        this.#messages.delete(op.name);
        break;
    }
  }

  #assertOpen() {
    if (!this.#open) throw new Error(`the ${this.name} store is not open (setup() first)`);
  }
}

/**
 * A copy of an operation that later changes to the caller's objects (or bytes) cannot reach.
 * @param {StoreOp} op @returns {StoreOp}
 */
function copy(op) {
  switch (op.op) {
    case 'append': {
      const m = op.message;
      return { op: 'append', destination: String(op.destination), message: { ...m, headers: { ...m.headers }, body: Buffer.from(m.body) } };
    }
    case 'save-destination': {
      const d = op.destination;
      return { op: 'save-destination', destination: { name: String(d.name), type: String(d.type), ...(d.children ? { children: [...d.children] } : {}) } };
    }
    case 'delivered':
    case 'remove':
    case 'purge':
    case 'delete-destination':
      return { ...op };
    default:
      throw new Error(`unknown store operation ${JSON.stringify(/** @type {{ op?: unknown }} */ (op).op)}`);
  }
}
