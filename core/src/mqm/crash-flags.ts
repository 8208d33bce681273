/**
 * Crash flags at start (docs/durability.md, "After a crash"): which restored messages may have been
 * handed to a consumer by a broker that did not stop cleanly, so that they come back redelivered.
 *
 * The rule, for a store with `recovery()`: after a clean stop, the stored delivery counts are exact
 * and nothing more is flagged. After an unclean one, a restored message with delivery count 0 is
 * flagged (its count becomes 1) when its destination's horizon covers it:
 * - an id of the run that wrote the horizon (`HorizonRecord.run`) up to `upTo` (ids of one run sort
 *   in minting order, IdMinter);
 * - an id of any other run (restored by that run, or not minted by core) that comes before the id
 *   `before` in the destination's replay order, or any such id when `before` is null or not there.
 * A destination without a horizon had nothing delivered since the flags were last made durable. A
 * horizon that cannot be read covers everything (err towards the flag). For a store without
 * `recovery()` core cannot tell a clean stop from a crash: every restored message is flagged.
 */
import type { StoredMessage } from '../spi/store.js';

/** A destination's delivery horizon, as core writes it (JSON) with the store's `horizon` operation. */
export interface HorizonRecord {
  /** IdMinter.run of the broker run that wrote it. */
  readonly run: string;
  /** That run's ids up to this one may have been delivered ('' none). */
  readonly upTo: string;
  /** Ids of other runs before this one in replay order may have been delivered; null: all of them. */
  readonly before: string | null;
}

export function writeHorizon(record: HorizonRecord): string {
  return JSON.stringify(record);
}

/** The record, or undefined when the text is not one (then it covers everything). */
export function readHorizon(text: string): HorizonRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<HorizonRecord>;
    if (typeof value.run !== 'string' || typeof value.upTo !== 'string' || !(value.before === null || typeof value.before === 'string')) return undefined;
    return { run: value.run, upTo: value.upTo, before: value.before };
  } catch {
    return undefined;
  }
}

/** What a restored list looks like once flagged: the messages, and the ids whose count was raised. */
export interface Flagged {
  readonly messages: StoredMessage[];
  readonly raised: string[];
}

/**
 * Flags the restored messages of one destination (in replay order) that `horizon` covers;
 * `horizon` 'all' covers every one (no recovery record, or one that cannot be read).
 */
export function flagRestored(messages: StoredMessage[], horizon: HorizonRecord | 'all' | undefined): Flagged {
  const raised: string[] = [];
  if (horizon === undefined) return { messages, raised };
  let boundary = messages.length; // messages of other runs before this index are covered
  if (horizon !== 'all' && horizon.before !== null) {
    const at = messages.findIndex((s) => s.message.id === horizon.before);
    if (at >= 0) boundary = at; // not there any more: every one is covered
  }
  const out = messages.map((stored, index) => {
    if (stored.deliveryCount > 0) return stored;
    const id = stored.message.id;
    const covered = horizon === 'all'
      || (id.startsWith(horizon.run) ? id <= horizon.upTo : index < boundary);
    if (!covered) return stored;
    raised.push(id);
    return { message: stored.message, deliveryCount: 1 };
  });
  return { messages: out, raised };
}
