/**
 * Building blocks for the deliberately broken stores: each is @wharf/store-memory's MemoryStore
 * with one bug put in, as a plugin providing the store `memory` (so store-memory's profile runs it).
 */
import { definePlugin, type PluginDefinition, type Store, type StoreOp, type StoredDestination, type StoredMessage, type StoredRecovery } from '@wharf/core';
import { MemoryStore } from '@wharf/store-memory';

/** A store that forwards everything to a fresh MemoryStore; variants override what they break. */
export class WrappedStore implements Store {
  readonly name = 'memory';
  protected readonly inner = new MemoryStore();

  setup(): Promise<void> {
    return this.inner.setup();
  }

  write(ops: readonly StoreOp[]): Promise<void> {
    return this.inner.write(ops);
  }

  destinations(): Promise<StoredDestination[]> {
    return this.inner.destinations();
  }

  replay(destination: string): AsyncIterable<StoredMessage> {
    return this.inner.replay(destination);
  }

  recovery(): Promise<StoredRecovery> {
    return this.inner.recovery();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A plugin providing a new instance of `make()` per broker, as store-memory does. */
export function brokenStore(bug: string, make: () => Store): PluginDefinition<never> {
  return definePlugin({ kind: 'store', name: `broken-store-${bug}`, core: '^0.1.0', description: `memory store with a bug: ${bug}` },
    (ctx) => ctx.store(make())) as PluginDefinition<never>;
}

export async function* fromArray<T>(items: readonly T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
