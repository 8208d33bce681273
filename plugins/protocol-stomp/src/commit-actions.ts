/**
 * What the STOMP adapter itself must do when a transaction commits (STOMP 1.2 §COMMIT): in 1.0 and
 * 1.1 an ACK inside a transaction only forgets its message from the subscription's bookkeeping once
 * the COMMIT comes (frames/ack.ts); an ABORT, or the connection's end, drops what waits. The broker
 * session applies the transaction itself; this is only the adapter's side, per connection.
 */
export class CommitActions {
  private readonly waiting = new Map<string, Array<() => void>>();

  /** Runs `action` when `transaction` commits; an ABORT or the close drops it. */
  add(transaction: string, action: () => void): void {
    const actions = this.waiting.get(transaction);
    if (actions === undefined) this.waiting.set(transaction, [action]);
    else actions.push(action);
  }

  committed(transaction: string): void {
    const actions = this.waiting.get(transaction);
    this.waiting.delete(transaction);
    if (actions !== undefined) for (const action of actions) action();
  }

  aborted(transaction: string): void {
    this.waiting.delete(transaction);
  }
}
