/**
 * COMMIT of a client transaction, all or nothing (STOMP 1.2 §BEGIN, §COMMIT: the operations of a
 * transaction are handled atomically).
 *
 * First every operation is validated, changing nothing: the session's rights and routing for each
 * SEND (re-checked: rules may have changed since it arrived), that each ACK/NACK's subscription
 * still exists and its rights, then each destination's `prepare` with all of the transaction's
 * messages for it (overflow, closed, limits, a pubsub's children) and each subscription's
 * `prepare` with all of its settlements (the tags it can still settle). A destination reached both
 * directly and through a pubsub is asked about all of its messages together (DestinationTable
 * .preparing). If one fails, nothing is
 * applied and the error names it: `operation 3 of transaction tx1 (SEND to /queue/x): ...`.
 * Then the operations are applied in the order they arrived.
 *
 * What validation cannot promise: a queue type without `prepare` may still refuse a message while
 * the commit is applied (operations before it stay applied; the error says so); a durable write
 * the store refuses fails the commit's promise (with group commit, the default, the appends of
 * one commit share one store transaction, so they are kept or refused together); a NACK that returns messages to a queue the
 * same transaction also sends to is not counted against that queue's limits, nor a second copy a
 * child gets through two paths of pubsubs (a diamond). Validation creates
 * the missing destinations the SENDs would create, as a refused SEND does.
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { Message } from '../spi/message.js';
import type { Settlement, Subscription } from '../spi/queue.js';
import type { DestinationTable } from './destinations.js';
import type { IdMinter } from './id-minter.js';
import type { PausableSession, ProducerPausing } from './producer-pausing.js';
import type { TransactionOp } from './transactions.js';

/** The session committing, as the commit sees it. */
export interface CommittingSession extends PausableSession {
  readonly subscriptions: ReadonlySet<Subscription>;
  /** Rights and routing of a SEND to `name` (what send() checks). */
  checkSend(name: string): void;
  /** That `subscription` is this session's and its rights hold (what ack()/nack() check). */
  checkSettle(subscription: Subscription): void;
}

export interface CommitServices {
  readonly table: DestinationTable;
  readonly pausing: ProducerPausing;
  readonly minter: IdMinter;
  readonly logger: Logger;
}

interface Failure {
  readonly index: number;
  readonly err: unknown;
}

export function commitTransaction(
  session: CommittingSession, transaction: string, ops: readonly TransactionOp[], services: CommitServices,
): void | Promise<void> {
  const messages = services.table.preparing(() => validate(session, transaction, ops, services));
  return apply(session, transaction, ops, messages, services);
}

/** Throws naming the first operation that would fail; returns the messages of the SENDs (by operation). */
function validate(
  session: CommittingSession, transaction: string, ops: readonly TransactionOp[], services: CommitServices,
): (Message | undefined)[] {
  const { table, minter } = services;
  const messages: (Message | undefined)[] = new Array(ops.length);
  let failure: Failure | undefined;
  // Checks of one operation each, in order: the first failure is the earliest of them.
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    try {
      if (op.kind === 'send') {
        session.checkSend(op.destination);
        messages[i] = minter.createMessage(op.destination, op.message.headers, op.message.body, op.message.persistent === true);
      } else {
        session.checkSettle(op.subscription);
      }
    } catch (err) {
      failure = { index: i, err };
      break;
    }
  }
  const limit = failure?.index ?? ops.length;
  // What each destination and subscription says of all of its operations at once.
  const sends = new Map<string, number[]>();
  const settles = new Map<Subscription, number[]>();
  for (let i = 0; i < limit; i++) {
    const op = ops[i]!;
    if (op.kind === 'send') append(sends, op.destination, i);
    else append(settles, op.subscription, i);
  }
  for (const [name, indices] of sends) {
    const batch = indices.map((i) => messages[i]!);
    const found = refusal(indices, (count) => table.preparePublish(name, count === batch.length ? batch : batch.slice(0, count), session));
    if (found !== undefined && (failure === undefined || found.index < failure.index)) failure = found;
  }
  for (const [subscription, indices] of settles) {
    const prepare = subscription.prepare;
    if (prepare === undefined) continue;
    const batch: Settlement[] = indices.map((i) => {
      const op = ops[i] as Extract<TransactionOp, { kind: 'ack' | 'nack' }>;
      return { kind: op.kind, tag: op.tag };
    });
    const found = refusal(indices, (count) => prepare.call(subscription, count === batch.length ? batch : batch.slice(0, count)));
    if (found !== undefined && (failure === undefined || found.index < failure.index)) failure = found;
  }
  if (failure !== undefined) throw commitError(transaction, ops, failure, false);
  return messages;
}

function append<K>(groups: Map<K, number[]>, key: K, index: number): void {
  const indices = groups.get(key);
  if (indices === undefined) groups.set(key, [index]);
  else indices.push(index);
}

/**
 * Runs a prepare over the whole batch; on a refusal, finds which operation it was: the error's
 * `details.index`, else the shortest prefix of the batch that is refused (a binary search, only
 * on this failure path, for types that do not say).
 */
function refusal(indices: readonly number[], prepare: (count: number) => void): Failure | undefined {
  let refused: unknown;
  try {
    prepare(indices.length);
    return undefined;
  } catch (err) {
    refused = err;
  }
  const index = (refused as { details?: { index?: unknown } } | undefined)?.details?.index;
  if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < indices.length) {
    return { index: indices[index]!, err: refused };
  }
  let low = 1;
  let high = indices.length; // prepare(high) is refused
  while (low < high) {
    const middle = (low + high) >>> 1;
    try {
      prepare(middle);
      low = middle + 1;
    } catch (err) {
      high = middle;
      refused = err;
    }
  }
  return { index: indices[high - 1]!, err: refused };
}

function apply(
  session: CommittingSession, transaction: string, ops: readonly TransactionOp[], messages: readonly (Message | undefined)[], services: CommitServices,
): void | Promise<void> {
  const { table, pausing } = services;
  let pending: Promise<void>[] | undefined;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    let done: void | Promise<void> = undefined;
    try {
      if (op.kind === 'send') {
        const message = messages[i]!;
        if (pausing.engaged) done = pausing.publishThrottled(session, op.destination, message);
        else {
          done = table.publishTo(op.destination, message, session);
          if (pausing.blocking) pausing.afterPublish(session, op.destination);
        }
      } else if (session.subscriptions.has(op.subscription)) {
        // Ended while the commit ran (a consumer reacting from inside a delivery): its messages went back already.
        if (op.kind === 'ack') done = op.subscription.ack(op.tag);
        else op.subscription.nack(op.tag);
      }
    } catch (err) {
      const error = commitError(transaction, ops, { index: i, err }, true);
      services.logger.warn({ transaction, operation: i + 1, err }, 'an operation the transaction had validated was refused while the commit was applied');
      throw error;
    }
    if (done) (pending ??= []).push(done);
  }
  if (pending !== undefined) return Promise.all(pending).then(noop);
}

function noop(): void {}

function describeOp(op: TransactionOp): string {
  if (op.kind === 'send') return `SEND to ${op.destination}`;
  return `${op.kind === 'ack' ? 'ACK' : 'NACK'} of delivery ${op.tag} on ${op.subscription.destination}`;
}

/** `operation 3 of transaction tx1 (SEND to /queue/x): <why>`, with the cause's code and hint. */
function commitError(transaction: string, ops: readonly TransactionOp[], failure: Failure, applying: boolean): WharfError {
  const { index, err } = failure;
  const cause = err instanceof WharfError ? err : undefined;
  const reason = err instanceof Error ? err.message : String(err);
  const outcome = applying && index > 0
    ? `operations 1 to ${index} of the transaction took effect, the rest did not`
    : 'nothing of the transaction was applied';
  // The cause's own `index` counted within one destination's batch: the operation number replaces it.
  const { index: _batchIndex, ...details } = cause?.details ?? {};
  return new WharfError(cause?.code ?? ErrorCodes.TRANSACTION, `operation ${index + 1} of transaction ${transaction} (${describeOp(ops[index]!)}): ${reason}`, {
    cause: err,
    hint: `${outcome}; ${cause?.hint ?? 'fix that operation and send the transaction again'}`,
    details: { ...details, transaction, operation: index + 1, applied: applying ? index : 0 },
  });
}
