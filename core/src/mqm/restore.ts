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
import type { StoreOp, StoredMessage } from '../spi/store.js';
import { flagRestored, readHorizon, type HorizonRecord } from './crash-flags.js';
import type { DeliveryHorizons } from './delivery-horizons.js';
import type { Durability } from './durability.js';
import type { PubsubGraph } from './pubsub-graph.js';

export interface RestoreResult {
  readonly destinations: number;
  readonly messages: number;
  /** Messages marked redelivered because the last stop was not clean (crash-flags.ts). */
  readonly flagged: number;
}

export async function restoreFromStore(
  durability: Durability, table: DestinationTable, graph: PubsubGraph, router: Router, logger: Logger,
  horizons: DeliveryHorizons | undefined, run: string,
): Promise<RestoreResult> {
  return table.unrecordedAsync(async () => {
    const recovery = durability.recoverable ? await durability.recovery() : undefined;
    /** The horizon that covers a destination's restored messages: none after a clean stop, all without a record. */
    const horizonOf = (name: string): HorizonRecord | 'all' | undefined => {
      if (recovery === undefined) return 'all';
      if (recovery.clean) return undefined;
      const text = recovery.horizons.get(name);
      return text === undefined ? undefined : (readHorizon(text) ?? 'all');
    };
    const stored = await durability.destinations();
    const marks: StoreOp[] = [];
    let messages = 0;
    let flagged = 0;
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
      const replayed: StoredMessage[] = [];
      for await (const message of durability.replay(record.name)) replayed.push(message);
      const { messages: restored, raised } = flagRestored(replayed, horizonOf(record.name));
      // Made durable before anything is delivered (beginRun): a second crash keeps these flags.
      for (const id of raised) marks.push({ op: 'delivered', destination: record.name, id });
      flagged += raised.length;
      const earlier: string[] = [];
      let plain = false;
      for (const message of restored) {
        destination.restore(message);
        if (!message.message.id.startsWith(run)) earlier.push(message.message.id);
        if (!message.message.persistent) plain = true;
      }
      messages += restored.length;
      if (restored.length > 0) horizons?.restored(record.name, earlier, plain);
    }
    if (recovery !== undefined) {
      for (const name of recovery.horizons.keys()) marks.push({ op: 'horizon', destination: name, horizon: null });
      const start = horizons?.atStart();
      if (start !== undefined) marks.push(...start.ops);
      const written = durability.beginRun(marks, marks.length > 0);
      void written.then(start?.committed);
      // Waits for it while the store works, so that the first deliveries need not; a store that
      // fails (a full disk) does not hold the start up: the batch is retried, deliveries wait.
      await Promise.race([written, durability.nextFailure()]);
    } else if (messages > 0) {
      logger.warn({ store: durability.store.name }, 'the store keeps no delivery horizons (Store.recovery): every restored message is marked redelivered (docs/durability.md, "After a crash")');
    }
    if (flagged > 0) logger.info({ flagged }, `the broker did not stop cleanly: ${flagged} restored messages that may have been delivered are marked redelivered`);
    return { destinations: stored.length, messages, flagged };
  });
}
