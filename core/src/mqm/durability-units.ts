/**
 * The pieces of a store batch the durability service (durability.ts) fills: a Unit is one store
 * transaction to be, with the promises its callers wait on.
 */
import type { StoreOp } from '../spi/store.js';

export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function noop(): void {}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Shared by many callers, some of which ignore it (delivery marks): never an unhandled rejection.
  promise.catch(noop);
  return { promise, resolve, reject };
}

/** One store transaction to be. */
export interface Unit {
  readonly ops: StoreOp[];
  /** Per-message mode: the message whose copies this unit holds. */
  readonly messageId?: string;
  /** Settles the unit's appends: rejected when its write fails. */
  appended?: Deferred;
  /** Settles its other operations: they are retried after a failure, so this resolves late. */
  applied?: Deferred;
  /**
   * What a failed write left (no appends): written as a transaction of its own, appends never join it.
   * Appends refused again and again (a full disk) then cannot keep acknowledgements and delivery
   * horizons from committing (docs/durability.md, "When the store fails").
   */
  sealed?: boolean;
}

export function mergeUnits(units: Unit[]): Unit {
  if (units.length === 1) return units[0]!;
  const merged: Unit = { ops: units.flatMap((u) => u.ops), applied: deferred() };
  for (const u of units) merged.applied!.promise.then(u.applied!.resolve, u.applied!.reject);
  return merged;
}

/**
 * What failed units leave to retry (Durability.failed): their appends are rejected with `error`,
 * the rest is carried in order — one unit under group commit — and sealed: new appends go into a
 * unit of their own after it, so that a refusal of theirs cannot hold it back.
 */
export function carryLeftovers(units: readonly Unit[], error: unknown, groupCommit: boolean): Unit[] {
  const carried: Unit[] = [];
  for (const unit of units) {
    unit.appended?.reject(error);
    const rest = unit.ops.filter((op) => op.op !== 'append');
    if (rest.length === 0) {
      unit.applied?.resolve(); // nothing of it remains to write
      continue;
    }
    const carry: Unit = { ops: rest, applied: deferred() };
    if (unit.applied) carry.applied!.promise.then(unit.applied.resolve, unit.applied.reject);
    carried.push(carry);
  }
  const out = groupCommit && carried.length > 1 ? [mergeUnits(carried)] : carried;
  for (const unit of out) unit.sealed = true;
  return out;
}

