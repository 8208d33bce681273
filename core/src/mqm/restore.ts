/**
 * Restore at start: recreates what the durable store kept — every destination record (with the
 * type it had; routing settings apply when routing still gives that type), then pubsub children,
 * then each destination's messages, oldest first. Runs before any listener opens; nothing it
 * creates is written back to the store.
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { Router } from '../routing/router.js';
import type { DestinationTable } from './destinations.js';
import type { Durability } from './durability.js';
import type { PubsubGraph } from './pubsub-graph.js';

export interface RestoreResult {
  readonly destinations: number;
  readonly messages: number;
}

export async function restoreFromStore(
  durability: Durability, table: DestinationTable, graph: PubsubGraph, router: Router, logger: Logger,
): Promise<RestoreResult> {
  return table.unrecordedAsync(async () => {
    const stored = await durability.destinations();
    let messages = 0;
    for (const record of stored) {
      if (table.has(record.name)) continue;
      if (!table.hasType(record.type)) {
        throw new WharfError(ErrorCodes.STORE, `the store holds destination ${record.name} of queue type ${record.type}, which no loaded plugin provides`, {
          hint: `load the plugin that provides ${record.type} (known queue types: ${table.knownTypes()}), or delete the store's file to start empty`,
          details: { destination: record.name, type: record.type },
        });
      }
      const routed = router.route(record.name).type;
      table.materialize(record.name, routed === record.type ? undefined : record.type);
    }
    for (const record of stored) {
      for (const child of record.children ?? []) graph.addChild(record.name, child);
    }
    for (const record of stored) {
      const destination = table.lookup(record.name);
      if (destination === undefined) continue;
      if (destination.restore === undefined) {
        for await (const _ of durability.replay(record.name)) {
          logger.warn({ destination: record.name, type: record.type }, 'the store holds messages for a destination whose type keeps none: they are left in the store');
          break;
        }
        continue;
      }
      for await (const message of durability.replay(record.name)) {
        destination.restore(message);
        messages++;
      }
    }
    return { destinations: stored.length, messages };
  });
}
