/**
 * One STOMP connection: bytes in through the frame parser, frames to their handlers, frames out
 * through a write batch flushed once per tick. It holds the session state that handlers share
 * (version, client session, subscriptions) and ends the connection the way the spec asks: an ERROR
 * frame with a `message` header, flushed, then the close (STOMP 1.2 §ERROR). Beside it: what stops
 * reading (read-switch.ts), the limits on input (input-limits.ts), the ERROR frame itself
 * (errors.ts) and what waits for a transaction's COMMIT (commit-actions.ts).
 */
import type { Duplex } from 'node:stream';
import { BatchedWriter, type BrokerApi, type InputAccount, type ClientSession, type ConnectionInfo, type Logger, type WharfError } from '@wharf/core';
import { FrameParser, StompCodecError, encodeFrame, encodeReceipt, HEARTBEAT, type Frame, type StompVersion } from './codec/index.js';
import { CommitActions } from './commit-actions.js';
import { asClientError, errorFrame, limitError, protocolError } from './errors.js';
import { echoable, header } from './headers.js';
import { HeartBeat } from './heartbeat.js';
import {
  HeartBeatFlood, PIPELINE_FRAMES_BEFORE_CONNECTED, beforeConnectedError, limitsBeforeConnected, limitsWhenConnected, overBudget,
} from './input-limits.js';
import type { StompOptions } from './options.js';
import { ReadSwitch } from './read-switch.js';
import { SubscriptionTable } from './subscriptions.js';
import { handlers } from './frames/index.js';

type State = 'awaiting-connect' | 'authenticating' | 'connected' | 'closing' | 'closed';

/** Frames a client may pipeline behind CONNECT while it is being authenticated. */
const MAX_FRAMES_WHILE_AUTHENTICATING = 100;
/** How long a closing connection waits for the client to read its ERROR before it is cut. */
const CLOSE_GRACE_MS = 2000;

export class StompConnection {
  version: StompVersion = '1.0';
  session: ClientSession | undefined;
  readonly subscriptions: SubscriptionTable;
  heartBeat: HeartBeat | undefined;
  private state: State = 'awaiting-connect';
  private readonly parser: FrameParser;
  private readonly pending: Frame[] = [];
  private readonly writer: BatchedWriter;
  private released = false;
  /** Whether the stream is read: paused by flow control, or while waiting for room in the input budget. */
  private readonly reading: ReadSwitch;
  /** This connection's unfinished frame in the broker-wide input budget (none: no broker-wide bound). */
  private readonly held: InputAccount | undefined;
  /** Bytes last reported to `held`. */
  private counted = 0;
  private readonly beats: HeartBeatFlood;
  /** Bytes read before CONNECTED, bounded by PIPELINE_FRAMES_BEFORE_CONNECTED frames' worth. */
  private bytesBeforeConnected = 0;
  /** The client ended its side while CONNECT was being authenticated. */
  private inputDone = false;
  private readonly connectTimer: NodeJS.Timeout;
  /** The last promise a frame without a receipt returned, which has a failure handler already. */
  private watched: Promise<void> | undefined;
  private readonly failOnStoreError = (err: unknown): void => this.fail(asClientError(err));
  /**
   * RECEIPTs waiting for the last promise a frame with a receipt returned. Durable sends of one
   * batch share the store's promise, so their receipts wait together: one handler per batch, not
   * a closure and a promise reaction per message.
   */
  private receipts: { readonly promise: Promise<void>; readonly ids: string[] } | undefined;
  /** Per open transaction: what the adapter itself must do once it commits (1.0/1.1 ack bookkeeping). */
  readonly commitActions = new CommitActions();

  constructor(
    readonly stream: Duplex,
    readonly info: ConnectionInfo,
    readonly broker: BrokerApi,
    readonly options: StompOptions,
    readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {
    this.subscriptions = new SubscriptionTable(this);
    this.reading = new ReadSwitch(stream, this);
    this.held = broker.inputBudget?.open(() => this.reading.roomFreed());
    this.beats = new HeartBeatFlood(options.maxHeartBeatsPerSecond);
    // Small limits until CONNECTED (docs/security.md "Input limits"); the listener's own from then on.
    this.parser = new FrameParser(limitsBeforeConnected(options, 'awaiting-connect'), (frame) => this.onFrame(frame), () => this.beats.eol());
    // Everything written in one tick goes out in one write (a writev on sockets, one message on
    // WebSocket); past writeHighWaterMark deliveries pause until the client catches up.
    this.writer = new BatchedWriter(stream, {
      highWaterMark: options.writeHighWaterMark,
      onDrain: () => this.subscriptions.resumeAll(),
      onFlush: () => this.heartBeat?.wrote(),
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.once('end', () => this.inputEnded());
    stream.once('close', () => this.terminate('connection closed'));
    stream.on('error', (err: Error) => this.terminate(`connection error: ${err.message}`));
    this.connectTimer = setTimeout(() => {
      this.fail(limitError('connectTimeoutMs', `no CONNECT frame within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    this.connectTimer.unref();
  }

  get isOpen(): boolean {
    return this.state === 'connected' || this.state === 'authenticating' || this.state === 'awaiting-connect';
  }

  // ------------------------------------------------------------------ input

  private onData(chunk: Buffer): void {
    const state = this.state;
    if (state === 'closing' || state === 'closed') return;
    this.heartBeat?.read();
    if (state !== 'connected' && (this.bytesBeforeConnected += chunk.length) > this.options.maxHeaderBytesBeforeConnect * PIPELINE_FRAMES_BEFORE_CONNECTED) {
      this.fail(limitError('maxHeaderBytesBeforeConnect',
        `more than ${this.options.maxHeaderBytesBeforeConnect * PIPELINE_FRAMES_BEFORE_CONNECTED} bytes sent before CONNECTED`));
      return;
    }
    try {
      this.parser.push(chunk);
    } catch (err) {
      // A bad frame's `receipt`, when the parser had read it, still earns a receipt-id (STOMP 1.2 §ERROR).
      const frame = err instanceof StompCodecError ? err.frame : undefined;
      const early = this.state !== 'connected' && err instanceof StompCodecError ? beforeConnectedError(this.options, err.limit, this.state) : undefined;
      this.fail(early ?? asClientError(err), frame);
      return;
    }
    // One comparison per chunk unless a frame is left unfinished, or one was before.
    const unfinished = this.parser.buffered;
    if (unfinished !== this.counted && this.held !== undefined) {
      this.counted = unfinished;
      if (!this.held.hold(unfinished)) this.overBudget();
    }
  }

  /**
   * The broker-wide input budget is spent. A client not logged in has no claim on it: ERROR. A session waits,
   * unread, until room frees: a large legitimate frame gets through once others finish theirs, and the budget
   * never lets every holder wait (core/src/kernel/input-budget.ts; docs/security.md "Input limits").
   */
  private overBudget(): void {
    if (this.state !== 'connected') {
      this.fail(overBudget(this.broker.inputBudget, 'and this client has not logged in'), this.parser.partial);
      return;
    }
    this.reading.waitForRoom();
  }

  /**
   * The client sent its last byte. What it sent is still acted on — frames waiting behind an
   * authenticating CONNECT included — and what is queued for it is flushed; then the close.
   */
  private inputEnded(): void {
    if (this.state === 'authenticating') this.inputDone = true;
    else this.closeAfterFlush('client closed the connection');
  }

  private onFrame(frame: Frame): void {
    this.beats.frame();
    if (this.state === 'authenticating') {
      if (this.pending.length >= MAX_FRAMES_WHILE_AUTHENTICATING) {
        throw limitError('frames before CONNECTED', 'too many frames sent before CONNECTED');
      }
      this.pending.push(frame);
      return;
    }
    if (this.state !== 'connected' && this.state !== 'awaiting-connect') return;
    this.handle(frame);
  }

  /** Runs one frame's handler; errors (thrown or rejected) end the connection with an ERROR. */
  private handle(frame: Frame): void {
    const handler = handlers.get(frame.command);
    if (handler === undefined || (handler.since !== undefined && this.state === 'connected' && handler.since > this.version)) {
      this.fail(protocolError(`unknown command ${JSON.stringify(frame.command.slice(0, 40))}`,
        'STOMP clients send CONNECT, STOMP, SEND, SUBSCRIBE, UNSUBSCRIBE, ACK, NACK, BEGIN, COMMIT, ABORT or DISCONNECT'), frame);
      return;
    }
    if (this.state === 'awaiting-connect' && !handler.beforeConnect) {
      this.fail(protocolError(`expected CONNECT or STOMP, got ${frame.command}`, 'a STOMP session starts with a CONNECT frame'), frame);
      return;
    }
    if (this.state === 'connected' && handler.beforeConnect) {
      this.fail(protocolError('already connected', 'send CONNECT once per connection'), frame);
      return;
    }
    const receipt = header(frame, 'receipt');
    if (receipt !== undefined && !echoable(receipt, this.version)) {
      this.fail(protocolError(`the receipt header ${JSON.stringify(receipt)} cannot be sent back in STOMP ${this.version}`,
        'use receipt ids without line breaks or a trailing carriage return'));
      return;
    }
    // STOMP 1.2 §Header receipt: the RECEIPT goes out once the frame's effect is done — for a
    // durable SEND or a COMMIT holding one, after the store has it.
    const answer = handler.sendsOwnReceipt ? undefined : receipt;
    try {
      const result = handler.handle(this, frame);
      if (result instanceof Promise) {
        if (answer !== undefined) {
          this.receiptAfter(result, answer, frame);
        } else if (result !== this.watched) {
          // Durable sends and acks of one batch share the store's promise: without a receipt to send,
          // one failure handler per promise is enough (the ERROR names no frame: none asked for a receipt).
          this.watched = result;
          result.then(undefined, this.failOnStoreError);
        }
      } else if (answer !== undefined) this.sendReceipt(answer);
    } catch (err) {
      this.fail(asClientError(err), frame);
    }
  }

  /**
   * Sends the RECEIPT once `promise` resolves, with the others waiting for it, in the order their
   * frames came; if it rejects, the ERROR names the first of those frames (STOMP 1.2 §ERROR: its
   * receipt-id) and the connection closes, so none of them gets a RECEIPT.
   */
  private receiptAfter(promise: Promise<void>, receiptId: string, frame: Frame): void {
    const waiting = this.receipts;
    if (waiting !== undefined && waiting.promise === promise) {
      waiting.ids.push(receiptId);
      return;
    }
    const group = { promise, ids: [receiptId] };
    this.receipts = group;
    promise.then(
      () => {
        if (this.receipts === group) this.receipts = undefined;
        for (const id of group.ids) this.sendReceipt(id);
      },
      (err: unknown) => {
        if (this.receipts === group) this.receipts = undefined;
        this.fail(asClientError(err), frame);
      },
    );
  }

  sendReceipt(receiptId: string): void {
    if (this.state !== 'connected' && this.state !== 'authenticating') return;
    // One per durable message when a sender asks for each: usually a string, copied into the tick's batch.
    const frame = encodeReceipt(receiptId, this.version);
    if (typeof frame === 'string') this.writer.addLatin1(frame);
    else this.writer.add(frame);
    this.writer.accepting(); // as write() does: past the high-water mark the writer reports full
  }

  /**
   * CONNECT chose `version` and is being authenticated: later frames wait until it is decided. The
   * parser reads them in that version from the next frame on (escaping, STOMP 1.2 §Value Encoding).
   */
  beginAuthentication(version: StompVersion, clientBeatMs: number): void {
    this.state = 'authenticating';
    this.version = version;
    this.parser.version = version;
    this.parser.setLimits(limitsBeforeConnected(this.options, 'authenticating'));
    this.beats.promised(clientBeatMs);
    clearTimeout(this.connectTimer);
  }

  /** CONNECTED was sent: the session is open; frames that arrived meanwhile run now, in order. */
  connected(session: ClientSession, heartBeat: HeartBeat): void {
    this.session = session;
    this.heartBeat = heartBeat;
    this.state = 'connected';
    this.parser.setLimits(limitsWhenConnected(this.options));
    heartBeat.start();
    while (this.pending.length > 0 && this.state === 'connected') this.handle(this.pending.shift()!);
    if (this.inputDone) this.closeAfterFlush('client closed the connection');
  }

  // ------------------------------------------------------------------ flow control

  /** True while flow control keeps this connection from being read. */
  get readingPaused(): boolean {
    return this.reading.flowPaused;
  }

  /**
   * Flow control (SessionControl.pauseReading): the broker or a destination this client sends to
   * holds too much. The socket is not read until resumeReading() (read-switch.ts).
   */
  pauseReading(): void {
    this.reading.pauseForFlow();
  }

  resumeReading(): void {
    this.reading.resumeForFlow();
  }

  // ------------------------------------------------------------------ output

  /** The connection's writer for frames written in pieces (MESSAGE), or undefined once closed. */
  get output(): BatchedWriter | undefined {
    return this.state === 'closed' ? undefined : this.writer;
  }

  /** Queues bytes; they go out in one write per tick. Returns false when the client is behind. */
  write(bytes: Buffer | readonly Buffer[]): boolean {
    if (this.state === 'closed') return false;
    return this.writer.write(bytes);
  }

  sendFrame(command: string, headers: ReadonlyArray<readonly [string, string]>, body?: Uint8Array): void {
    this.write(encodeFrame(command, headers, body, this.version));
  }

  sendHeartBeat(): void {
    this.write(HEARTBEAT);
  }

  flush(): void {
    this.writer.flush();
  }

  // ------------------------------------------------------------------ ending

  /**
   * Ends the connection because of `error`: an ERROR frame (with `receipt-id` when the offending
   * frame asked for a receipt, STOMP 1.2 §ERROR), flushed, then the close.
   */
  fail(error: WharfError, frame?: Pick<Frame, 'headers'>): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const { headers, body } = errorFrame(error, frame, this.version);
    this.logger.debug({ connection: this.info.id, code: error.code, error: error.message }, 'closing a STOMP connection with ERROR');
    this.sendFrame('ERROR', headers, body);
    this.parser.destroy();
    this.closeAfterFlush(error.message);
  }

  /** Flushes what is queued (a RECEIPT, an ERROR), then closes. */
  closeAfterFlush(reason: string): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.releaseSession(reason);
    // A client that never reads its ERROR must not keep the socket forever.
    this.writer.end(CLOSE_GRACE_MS);
  }

  /** The transport is gone: release everything at once. */
  terminate(reason: string): void {
    if (this.state === 'closed') return;
    // The client sent everything and went away while its CONNECT was checked: its frames still
    // run once the session opens (see inputEnded); connected() then closes.
    if (this.state === 'authenticating' && this.inputDone) return;
    this.releaseSession(reason);
    this.state = 'closed';
    this.stream.destroy();
  }

  /** Closes the broker session and frees the connection's resources, once. */
  private releaseSession(reason: string): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.connectTimer);
    this.heartBeat?.stop();
    this.held?.close();
    const session = this.session;
    this.session = undefined;
    if (session !== undefined && !session.closed) session.close(reason);
    this.subscriptions.clear();
    this.onClosed();
  }
}
