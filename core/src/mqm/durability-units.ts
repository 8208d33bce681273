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
}

export function mergeUnits(units: Unit[]): Unit {
  if (units.length === 1) return units[0]!;
  const merged: Unit = { ops: units.flatMap((u) => u.ops), applied: deferred() };
  for (const u of units) merged.applied!.promise.then(u.applied!.resolve, u.applied!.reject);
  return merged;
}
