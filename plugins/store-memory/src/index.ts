/**
 * @wharf/store-memory: the durable store contract kept in memory, for tests and for users who
 * want no disk. Persistent messages get the same treatment as with a disk store (group commit,
 * receipts after the commit, redelivery marks), but nothing survives the process.
 *
 *   plugins: ['@wharf/store-memory']
 *   store: { use: memory }
 *
 * Tests that restart a broker pass one instance to both brokers: `memoryStorePlugin(store)`.
 */
import { definePlugin, type PluginDefinition, type Store } from '@wharf/core';
import { MemoryStore } from './memory-store.js';

export { MemoryStore } from './memory-store.js';

/**
 * A plugin definition providing `store` (a new MemoryStore per broker when none is given). Any
 * Store works, which lets tests wrap one (to count or hold back writes).
 */
export function memoryStorePlugin(store?: Store): PluginDefinition<Record<string, unknown>> {
  return definePlugin(
    {
      kind: 'store',
      name: 'store-memory',
      core: '^0.1.0',
      description: 'memory: the durable store contract without a disk (nothing survives the process)',
      optionsSchema: { type: 'object', properties: {}, additionalProperties: false, description: 'the memory store takes no options' },
    },
    (ctx) => ctx.store(store ?? new MemoryStore()),
  );
}

export default memoryStorePlugin();
