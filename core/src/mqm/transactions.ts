/**
 * Client transactions: SENDs, ACKs and NACKs inside a transaction are checked when they arrive
 * (so a refused right fails at once) and wait here; at commit they are all validated, then take
 * effect in arrival order, or none does (commit.ts). Abort, or the client going away, drops them.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import type { MessageInput } from '../spi/message.js';
import type { Subscription } from '../spi/queue.js';

export type TransactionOp =
  | { readonly kind: 'send'; readonly destination: string; readonly message: MessageInput }
  | { readonly kind: 'ack'; readonly subscription: Subscription; readonly tag: number }
  | { readonly kind: 'nack'; readonly subscription: Subscription; readonly tag: number };

export interface TransactionLimits {
  readonly maxTransactionSize: number;
  readonly maxTransactions: number;
}

export class Transactions {
  private readonly open = new Map<string, TransactionOp[]>();

  constructor(private readonly limits: TransactionLimits) {}

  get size(): number {
    return this.open.size;
  }

  begin(id: string): void {
    if (this.open.has(id)) throw transactionError(`transaction ${id} is already open`);
    if (this.open.size >= this.limits.maxTransactions) {
      throw new WharfError(ErrorCodes.LIMIT, `too many open transactions (limit ${this.limits.maxTransactions})`, {
        hint: 'commit or abort transactions before beginning new ones, or raise limits.maxTransactions',
        details: { limit: 'maxTransactions' },
      });
    }
    this.open.set(id, []);
  }

  add(id: string, op: TransactionOp): void {
    const ops = this.open.get(id);
    if (ops === undefined) throw transactionError(`transaction ${id} is not open`);
    if (ops.length >= this.limits.maxTransactionSize) {
      throw new WharfError(ErrorCodes.LIMIT, `transaction ${id} is too large (limit ${this.limits.maxTransactionSize} operations)`, {
        hint: 'commit smaller transactions, or raise limits.maxTransactionSize',
        details: { limit: 'maxTransactionSize' },
      });
    }
    ops.push(op);
  }

  /** Removes and returns the transaction's operations, for the caller to apply in order. */
  take(id: string): TransactionOp[] {
    const ops = this.open.get(id);
    if (ops === undefined) throw transactionError(`transaction ${id} is not open`);
    this.open.delete(id);
    return ops;
  }

  abort(id: string): void {
    if (!this.open.delete(id)) throw transactionError(`transaction ${id} is not open`);
  }

  abortAll(): void {
    this.open.clear();
  }
}

function transactionError(message: string): WharfError {
  return new WharfError(ErrorCodes.TRANSACTION, message, { hint: 'BEGIN a transaction once, then COMMIT or ABORT it once' });
}
