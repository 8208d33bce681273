/**
 * One client connection: lines in (wire.ts), each command run against the broker session through
 * its reference methods; lines out through core's BatchedWriter (one write per tick, `false` past
 * its high-water mark, which is all backpressure takes). Any error ends the connection the same
 * way: an ERR line, flushed, then the close.
 */
import type { Duplex } from 'node:stream';
import {
  BatchedWriter,
  ConsumerTable,
  ErrorCodes,
  WharfError,
  limitError,
  protocolError,
  type AckMode,
  type BrokerApi,
  type ClientSession,
  type ConnectionInfo,
  type Delivery,
  type Subscription,
  type TableConsumer,
} from '@wharf/core';
import { NONE, bodyWord, headersWord, unbody, unheaders, unword, word, LineSplitter } from './wire.js';

export interface ListenerOptions {
  /** Longest line accepted, in bytes. */
  readonly maxLineBytes: number;
  /** Bytes queued for one client before its subscriptions pause. */
  readonly writeHighWaterMark: number;
}

const ACK_MODES: ReadonlySet<string> = new Set(['auto', 'client', 'client-individual']);
/** How long a closing connection waits for the client to read its ERR line. */
const CLOSE_GRACE_MS = 2000;

/** A subscription of this connection: the Consumer the destination delivers to. */
class LineConsumer implements TableConsumer {
  subscription: Subscription | undefined;

  constructor(
    private readonly connection: LineConnection,
    readonly id: string,
    readonly number: number,
    readonly destination: string,
    readonly session: ClientSession,
    readonly ackMode: AckMode,
    readonly prefetch: number,
  ) {}

  deliver(delivery: Delivery): boolean {
    const m = delivery.message;
    const token = this.ackMode === 'auto' ? NONE : `${this.number}-${delivery.tag}`;
    const line = ['MSG', word(this.id), token, delivery.redelivered ? '1' : '0', word(m.id), word(this.destination), headersWord(m.headers), bodyWord(m.body)];
    return this.connection.write(line.join(' '));
  }

  cancel(reason: WharfError): void {
    this.connection.fail(reason);
  }
}

export class LineConnection {
  private readonly subscriptions = new ConsumerTable<LineConsumer>();
  private readonly writer: BatchedWriter;
  private readonly splitter: LineSplitter;
  private session: ClientSession | undefined;
  private state: 'new' | 'connecting' | 'open' | 'closed' = 'new';
  /** Lines that arrived while CONNECT was being decided, run in order once it is. */
  private readonly waiting: string[] = [];
  private flowPaused = false;

  constructor(
    private readonly stream: Duplex,
    private readonly info: ConnectionInfo,
    private readonly broker: BrokerApi,
    options: ListenerOptions,
    private readonly onClosed: () => void,
  ) {
    this.splitter = new LineSplitter(options.maxLineBytes, (line) => this.onLine(line));
    this.writer = new BatchedWriter(stream, { highWaterMark: options.writeHighWaterMark, onDrain: () => this.subscriptions.resumeAll() });
    stream.on('data', (chunk: Buffer) => {
      if (this.state === 'closed') return;
      try {
        this.splitter.push(chunk);
      } catch (err) {
        this.fail(err instanceof RangeError ? limitError('maxLineBytes', err.message) : toClientError(err));
      }
    });
    // The client said goodbye (its side ended): the session ends, and so does the connection.
    stream.once('end', () => {
      this.release('client closed the connection');
      stream.destroy();
    });
    stream.once('close', () => this.release('connection closed'));
    stream.on('error', () => this.release('connection error'));
  }

  write(line: string): boolean {
    return this.writer.write(Buffer.from(`${line}\n`, 'utf8'));
  }

  /** Ends the connection because of `error`: an ERR line, then the close. */
  fail(error: WharfError): void {
    if (this.state === 'closed') return;
    this.write(`ERR ${word(error.message)}`);
    this.release(error.message);
    this.writer.end(CLOSE_GRACE_MS);
    this.stream.resume(); // read on (and drop), so the client's own close is seen
  }

  private onLine(line: string): void {
    if (this.state === 'connecting') {
      this.waiting.push(line);
      return;
    }
    if (this.state === 'closed' || line.trim() === '') return;
    try {
      const result = this.run(line.split(' '));
      if (result instanceof Promise) result.catch((err: unknown) => this.fail(toClientError(err)));
    } catch (err) {
      this.fail(toClientError(err));
    }
  }

  private run([command, ...args]: string[]): void | Promise<void> {
    if (this.state === 'new') {
      if (command !== 'CONNECT') throw protocolError(`expected CONNECT, got ${command}`, 'start with CONNECT <login> <passcode>');
      return this.connect(unword(args[0]), unword(args[1]));
    }
    const session = this.session!;
    const receipt = args[0] ?? NONE;
    switch (command) {
      case 'SUB': {
        const [, id = '', ack = 'auto', prefetch = '0', destination = ''] = args;
        if (!ACK_MODES.has(ack)) throw protocolError(`unknown ack mode ${ack}`, 'use auto, client or client-individual');
        if (this.subscriptions.has(unword(id))) throw protocolError(`subscription id ${unword(id)} is already in use`);
        const consumer = new LineConsumer(this, unword(id), this.subscriptions.nextNumber(), unword(destination), session, ack as AckMode, Number(prefetch) || 0);
        this.subscriptions.add(consumer);
        try {
          consumer.subscription = session.subscribe(consumer.destination, consumer);
        } catch (err) {
          this.subscriptions.remove(consumer);
          throw err;
        }
        return this.ok(receipt);
      }
      case 'UNSUB': {
        const consumer = this.subscriptions.get(unword(args[1]));
        if (consumer === undefined) throw protocolError(`no subscription ${unword(args[1])}`);
        this.subscriptions.remove(consumer);
        session.unsubscribe(consumer.subscription!);
        return this.ok(receipt);
      }
      case 'SEND': {
        const sent = session.send(unword(args[1]), { headers: unheaders(args[2]), body: unbody(args[3]), persistent: false });
        return sent instanceof Promise ? sent.then(() => this.ok(receipt)) : this.ok(receipt);
      }
      case 'ACK':
      case 'NACK': {
        const found = this.subscriptions.byAckToken(args[1] ?? '');
        if (found === undefined) throw protocolError(`unknown ack token ${args[1]}`, 'send back the token of a message of an open subscription');
        const done = command === 'ACK' ? session.ack(found.consumer.subscription!, found.tag) : session.nack(found.consumer.subscription!, found.tag);
        return done instanceof Promise ? done.then(() => this.ok(receipt)) : this.ok(receipt);
      }
      default:
        throw protocolError(`unknown command ${command}`, 'the commands are SUB, UNSUB, SEND, ACK, NACK');
    }
  }

  private async connect(login: string, passcode: string): Promise<void> {
    this.state = 'connecting';
    this.stream.pause();
    const session = await this.broker.connect({ ...(login ? { login } : {}), ...(passcode ? { passcode } : {}) }, this.info, {
      close: (reason) => this.fail(reason),
      pauseReading: () => { this.flowPaused = true; this.stream.pause(); },
      resumeReading: () => { this.flowPaused = false; if (this.state === 'open') this.stream.resume(); },
    });
    if (this.isClosed()) {
      // The client went away while the security plugins were deciding.
      session.close('connection closed during connect');
      return;
    }
    this.session = session;
    this.state = 'open';
    this.write(`CONNECTED ${word(session.id)}`);
    for (const line of this.waiting.splice(0)) this.onLine(line);
    if (!this.flowPaused) this.stream.resume();
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private ok(receipt: string): void {
    if (receipt !== NONE && this.state === 'open') this.write(`OK ${receipt}`);
  }

  /** Closes the broker session once: subscriptions detach, unacknowledged messages go back. */
  private release(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const session = this.session;
    this.session = undefined;
    if (session !== undefined && !session.closed) session.close(reason);
    this.subscriptions.clear();
    this.onClosed();
  }
}

function toClientError(err: unknown): WharfError {
  return err instanceof WharfError ? err : new WharfError(ErrorCodes.PROTOCOL, 'internal error while handling the command', { cause: err });
}
