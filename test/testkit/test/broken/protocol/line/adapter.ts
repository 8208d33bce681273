/**
 * A small, correct line protocol (one JSON object per line, JSONL's wire in miniature) that the
 * broken variants next to this folder each break in one place. Its seams are the methods a
 * variant overrides: how a client is authenticated, how a delivery is written, what a malformed
 * line gets, what a closed connection releases. The control (index.ts) passes
 * describeProtocolAdapter(); each variant must not.
 *
 * Client → server: connect {login, passcode} · subscribe {destination, id, ack?, prefetch?} ·
 * unsubscribe {id} · send {destination, body (base64), headers?} · ack / nack {id: ack token};
 * each but connect may carry `receipt`. Server → client: connected {session} · message
 * {destination, subscription, id, ack?, headers, body, redelivered} · receipt {receipt} · error {message, code}.
 */
import type { Duplex } from 'node:stream';
import {
  BatchedWriter, ConsumerTable, WharfError, protocolError,
  type AckMode, type BrokerApi, type ClientSession, type ConnectionInfo, type Credentials, type Delivery,
  type ProtocolAdapter, type Subscription, type TableConsumer,
} from '@wharf/core';

const WRITE_HIGH_WATER_MARK = 256 * 1024;

export class LineConsumer implements TableConsumer {
  subscription: Subscription | undefined;

  constructor(
    readonly connection: LineConnection,
    readonly id: string,
    readonly number: number,
    readonly destination: string,
    readonly session: ClientSession,
    readonly ackMode: AckMode,
    readonly prefetch: number,
  ) {}

  deliver(delivery: Delivery): boolean {
    return this.connection.adapter.deliver(this, delivery);
  }

  cancel(reason: WharfError): void {
    this.connection.fail(reason);
  }

  /** The message line for `delivery`. */
  encode(delivery: Delivery): Buffer {
    const { message } = delivery;
    return Buffer.from(JSON.stringify({
      op: 'message', destination: this.destination, subscription: this.id, id: message.id,
      ack: this.ackMode === 'auto' ? undefined : ConsumerTable.ackToken(this, delivery.tag),
      headers: message.headers, body: Buffer.from(message.body).toString('base64'), redelivered: delivery.redelivered,
    }) + '\n');
  }
}

export class LineConnection {
  readonly consumers = new ConsumerTable<LineConsumer>();
  readonly writer: BatchedWriter;
  session: ClientSession | undefined;
  closed = false;
  private held = '';
  /** Lines run one after another, each after the previous one's effect (connect is asynchronous). */
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly stream: Duplex, readonly info: ConnectionInfo, readonly broker: BrokerApi, readonly adapter: LineAdapter) {
    this.writer = new BatchedWriter(stream, { highWaterMark: WRITE_HIGH_WATER_MARK, onDrain: () => this.consumers.resumeAll() });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', () => undefined);
    // Core's sockets are half-open capable: the client's end is the goodbye; end ours too.
    stream.once('end', () => {
      adapter.gone(this);
      stream.end();
    });
    stream.once('close', () => adapter.gone(this));
  }

  private onData(chunk: Buffer): void {
    const lines = (this.held + chunk.toString('utf8')).split('\n');
    this.held = lines.pop()!;
    for (const line of lines) {
      if (line.trim().length > 0) this.chain = this.chain.then(() => this.handle(line)).catch((err: unknown) => this.fail(toWharf(err)));
    }
  }

  private async handle(line: string): Promise<void> {
    if (this.closed) return;
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(line) as Record<string, unknown>;
      if (typeof request !== 'object' || request === null || typeof request.op !== 'string') throw new Error('not a request');
    } catch (err) {
      return this.adapter.malformed(this, protocolError(`malformed line: ${(err as Error).message}`));
    }
    const receipt = request.receipt as string | undefined;
    if (request.op === 'connect') {
      const credentials: Credentials = { login: request.login as string | undefined, passcode: request.passcode as string | undefined };
      this.session = await this.adapter.authenticate(this, credentials);
      if (this.closed) return this.session.close('closed during connect');
      return this.send({ op: 'connected', session: this.session.id });
    }
    const session = this.session;
    if (session === undefined) throw protocolError(`expected connect, got ${String(request.op)}`);
    switch (request.op) {
      case 'subscribe': {
        const ack = (request.ack as AckMode | undefined) ?? 'auto';
        const consumer = new LineConsumer(this, String(request.id), this.consumers.nextNumber(), String(request.destination), session, ack, Number(request.prefetch ?? 0));
        this.consumers.add(consumer);
        try {
          consumer.subscription = session.subscribe(consumer.destination, consumer);
        } catch (err) {
          this.consumers.remove(consumer);
          throw err;
        }
        break;
      }
      case 'unsubscribe': {
        const consumer = this.consumers.get(String(request.id));
        if (consumer === undefined) throw protocolError(`no subscription ${String(request.id)}`);
        this.consumers.remove(consumer);
        session.unsubscribe(consumer.subscription!);
        break;
      }
      case 'send':
        await session.send(String(request.destination), {
          headers: (request.headers as Record<string, string> | undefined) ?? {},
          body: Buffer.from(String(request.body), 'base64'),
          persistent: false,
        });
        break;
      case 'ack':
      case 'nack': {
        const found = this.consumers.byAckToken(String(request.id));
        if (found === undefined) throw protocolError(`unknown ack id ${String(request.id)}`);
        if (request.op === 'ack') await session.ack(found.consumer.subscription!, found.tag);
        else session.nack(found.consumer.subscription!, found.tag);
        break;
      }
      default:
        return this.adapter.malformed(this, protocolError(`unknown op ${String(request.op)}`));
    }
    if (receipt !== undefined) this.send({ op: 'receipt', receipt });
  }

  send(line: Record<string, unknown>): void {
    this.writer.write(Buffer.from(JSON.stringify(line) + '\n'));
  }

  /** An error line, then the close; the session is released once. */
  fail(error: WharfError): void {
    if (this.closed) return;
    this.send({ op: 'error', message: error.message, code: error.code });
    this.closed = true;
    this.adapter.release(this, error.message);
    this.writer.end(1000);
    this.stream.resume();
  }
}

export class LineAdapter implements ProtocolAdapter {
  readonly protocol = 'line';
  readonly connections = new Set<LineConnection>();

  accept(stream: Duplex, info: ConnectionInfo, broker: BrokerApi): void {
    this.connections.add(new LineConnection(stream, info, broker, this));
  }

  async shutdown(): Promise<void> {
    for (const connection of [...this.connections]) connection.fail(new WharfError('WHARF_ERR_CLOSED', 'the broker is shutting down'));
  }

  // ------------------------------------------------------------- the seams the variants break

  /** Every connect is checked by the security plugins. */
  authenticate(connection: LineConnection, credentials: Credentials): Promise<ClientSession> {
    return connection.broker.connect(credentials, connection.info, { close: (reason) => connection.fail(reason) });
  }

  /** Writes the delivery; `false` (the writer is full) holds further messages in the destination. */
  deliver(consumer: LineConsumer, delivery: Delivery): boolean {
    return consumer.connection.writer.write(consumer.encode(delivery));
  }

  /** A line that breaks the protocol: an error and the close. */
  malformed(connection: LineConnection, error: WharfError): void {
    connection.fail(error);
  }

  /** The stream is gone (or the client said goodbye): release what the connection held. */
  gone(connection: LineConnection): void {
    connection.closed = true;
    this.release(connection, 'connection closed');
  }

  /** Closes the session (subscriptions detach, unacknowledged messages go back), once. */
  release(connection: LineConnection, reason: string): void {
    const session = connection.session;
    connection.session = undefined;
    if (session !== undefined && !session.closed) session.close(reason);
    connection.consumers.clear();
    this.connections.delete(connection);
  }
}

function toWharf(err: unknown): WharfError {
  return err instanceof WharfError ? err : protocolError(`internal error: ${(err as Error).message}`);
}
