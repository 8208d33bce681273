/**
 * Whether a STOMP connection's stream is read. Two things stop reading, independently:
 * - flow control (SessionControl.pauseReading; docs/flow-control.md): the broker or a destination
 *   this client sends to holds too much. The client's frames then wait in the kernel's buffers and
 *   in the client (TCP pushes back); frames already read are still handled;
 * - the broker-wide input budget (docs/security.md "Input limits"): a session whose unfinished frame
 *   found no room waits, unread, until the budget says room freed.
 * The stream is paused while either holds and resumed when neither does; the client's heart-beats
 * cannot be read meanwhile, so its silence does not count (HeartBeat.suspendReads). Both change
 * per flow-control or budget event, never per frame.
 */
import type { Duplex } from 'node:stream';
import type { HeartBeat } from './heartbeat.js';

/** What the switch reads of its connection when it changes the stream. */
export interface ReadSwitchHost {
  readonly isOpen: boolean;
  readonly heartBeat: HeartBeat | undefined;
}

export class ReadSwitch {
  private pausedByFlow = false;
  private waitingForRoom = false;
  /** Whether the stream is paused now. */
  private streamPaused = false;

  constructor(
    private readonly stream: Duplex,
    private readonly connection: ReadSwitchHost,
  ) {}

  /** True while flow control keeps the connection from being read. */
  get flowPaused(): boolean {
    return this.pausedByFlow;
  }

  /** Flow control asks for a pause (ignored once the connection is closing). */
  pauseForFlow(): void {
    if (this.pausedByFlow || !this.connection.isOpen) return;
    this.pausedByFlow = true;
    this.sync();
  }

  resumeForFlow(): void {
    if (!this.pausedByFlow) return;
    this.pausedByFlow = false;
    this.sync();
  }

  /** The input budget had no room for this connection's unfinished frame: wait for it, unread. */
  waitForRoom(): void {
    this.waitingForRoom = true;
    this.sync();
  }

  /** The input budget has room again. */
  roomFreed(): void {
    this.waitingForRoom = false;
    this.sync();
  }

  private sync(): void {
    const stop = this.pausedByFlow || this.waitingForRoom;
    if (stop === this.streamPaused) return;
    this.streamPaused = stop;
    this.connection.heartBeat?.suspendReads(stop);
    if (stop) this.stream.pause();
    else if (this.connection.isOpen) this.stream.resume();
  }
}
