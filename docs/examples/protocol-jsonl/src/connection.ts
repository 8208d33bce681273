/**
 * One JSONL connection: bytes in through the line reader, each line checked (requests.ts) and run
 * by its op's handler; lines out through core's BatchedWriter, one write per tick. Any error ends
 * the connection the same way: an error line, flushed, then the close. Other connections never
 * notice: nothing here is shared beyond the adapter's set of open connections.
 */
import type { Duplex } from 'node:stream';
import { BatchedWriter, type BrokerApi, type ClientSession, type ConnectionInfo, type Logger, type WharfError } from '@wharf/core';
import { asClientError, limitError, protocolError } from './errors.js';
import { LineReader } from './line-reader.js';
import type { JsonlOptions } from './options.js';
import { parseRequest } from './requests.js';
import { SubscriptionTable } from './subscriptions.js';

type State = 'awaiting-connect' | 'authenticating' | 'connected' | 'closing' | 'closed';

/** How long a closing connection waits for the client to read its error line before it is cut. */
const CLOSE_GRACE_MS = 2000;

export class JsonlConnection {
  readonly subscriptions = new SubscriptionTable(this);
  private state: State = 'awaiting-connect';
  private opened: ClientSession | undefined;
  private readonly reader: LineReader;
  private readonly writer: BatchedWriter;
  /** Lines that arrived in the same chunk as connect, run once the session is open. */
  private readonly held: Buffer[] = [];
  private released = false;
  /** Flow control asked not to read this client (SessionControl.pauseReading). */
  private flowPaused = false;
  private readonly connectTimer: NodeJS.Timeout;

  constructor(
    readonly stream: Duplex,
    readonly info: ConnectionInfo,
    readonly broker: BrokerApi,
    readonly options: JsonlOptions,
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {
    this.reader = new LineReader(options.maxLineBytes, (line) => this.onLine(line));
    this.writer = new BatchedWriter(stream, {
      highWaterMark: options.writeHighWaterMark,
      onDrain: () => this.subscriptions.resumeAll(),
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.once('end', () => this.terminate('client closed the connection'));
    stream.once('close', () => this.terminate('connection closed'));
    stream.on('error', (err: Error) => this.terminate(`connection error: ${err.message}`));
    this.connectTimer = setTimeout(() => {
      this.fail(limitError('connectTimeoutMs', `no connect within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    this.connectTimer.unref();
  }

  get isOpen(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  /** The open session; ops that need one are refused before connect by the dispatcher. */
  session(): ClientSession {
    if (this.opened === undefined) throw protocolError('not connected');
    return this.opened;
  }

  // ------------------------------------------------------------------ input

  private onData(chunk: Buffer): void {
    if (!this.isOpen) return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.fail(asClientError(err));
    }
  }

  private onLine(line: Buffer): void {
    if (this.state === 'authenticating') {
      this.held.push(line);
      return;
    }
    if (this.isOpen && line.length > 0 && !isBlank(line)) this.handle(line);
  }

  /** Checks and runs one line; whatever it throws or rejects with ends the connection. */
  private handle(line: Buffer): void {
    let receipt: string | undefined;
    try {
      const { handler, request } = parseRequest(line);
      receipt = typeof request.receipt === 'string' ? request.receipt : undefined;
      if (this.state === 'awaiting-connect' && !handler.beforeConnect) {
        throw protocolError(`expected connect, got ${request.op}`, 'a session starts with {"op":"connect","login":...,"passcode":...}');
      }
      if (this.state === 'connected' && handler.beforeConnect) throw protocolError('already connected', 'send connect once per connection');
      const result = handler.handle(this, request);
      if (result instanceof Promise) {
        result.then(() => this.sendReceipt(receipt), (err: unknown) => this.fail(asClientError(err), receipt));
      } else this.sendReceipt(receipt);
    } catch (err) {
      this.fail(asClientError(err), receipt);
    }
  }

  private sendReceipt(receipt: string | undefined): void {
    if (receipt !== undefined && this.state === 'connected') this.send({ op: 'receipt', receipt });
  }

  /**
   * connect is being checked. Reading pauses, so a client cannot pile up requests while the
   * security plugins decide; lines already read wait in `held`.
   */
  beginAuthentication(): void {
    this.state = 'authenticating';
    clearTimeout(this.connectTimer);
    this.stream.pause();
  }

  /** `connected` was sent: run what arrived meanwhile, in order, then read on. */
  connected(session: ClientSession): void {
    this.opened = session;
    this.state = 'connected';
    while (this.held.length > 0 && this.state === 'connected') this.onLine(this.held.shift()!);
    if (this.state === 'connected' && !this.flowPaused) this.stream.resume();
  }

  /** Flow control: the broker holds too much; lines this client sends wait in its socket meanwhile. */
  pauseReading(): void {
    this.flowPaused = true;
    if (this.state === 'connected') this.stream.pause();
  }

  resumeReading(): void {
    this.flowPaused = false;
    if (this.state === 'connected') this.stream.resume();
  }

  // ------------------------------------------------------------------ output

  /** Queues bytes for this tick's write; false when the client is behind. */
  write(bytes: Buffer): boolean {
    return this.writer.write(bytes);
  }

  send(line: Record<string, unknown>): void {
    this.writer.write(Buffer.from(JSON.stringify(line) + '\n', 'utf8'));
  }

  // ------------------------------------------------------------------ ending

  /** Ends the connection because of `error`: an error line (naming the request's receipt), then the close. */
  fail(error: WharfError, receipt?: string): void {
    if (!this.isOpen) return;
    this.logger.debug({ connection: this.info.id, code: error.code, error: error.message }, 'closing a JSONL connection with an error');
    this.send({ op: 'error', code: error.code, message: error.message, hint: error.hint, receipt });
    this.state = 'closing';
    this.reader.stop();
    this.release(error.message);
    this.writer.end(CLOSE_GRACE_MS);
    // Read on (and discard) so the client's own close is seen, even if connect had paused reading.
    this.stream.resume();
  }

  /** The transport is gone: release everything at once. */
  terminate(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.reader.stop();
    this.release(reason);
    this.stream.destroy();
  }

  /** Closes the broker session (subscriptions detach, unacked messages go back), once. */
  private release(reason: string): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.connectTimer);
    const session = this.opened;
    this.opened = undefined;
    if (session !== undefined && !session.closed) session.close(reason);
    this.subscriptions.clear();
    this.onClosed();
  }
}

/** Blank lines (a keep-alive, a stray CR) are ignored rather than refused. */
function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}
