/**
 * The well-behaved traffic of the crash and disk-full attacks: producers that send numbered
 * messages with receipts, consumers in client-individual mode that acknowledge each one with a
 * receipt, all reporting to a Ledger. Each keeps reconnecting while it runs, so a broker that is
 * killed, restarted, or closes a connection with an ERROR just starts a new connection (and, for a
 * consumer, a new epoch in the ledger).
 */
import type { IMessage } from '@stomp/stompjs';
import { messageBody, parseBody, type Ledger } from './ledger.js';
import { Session, type Outcome } from './stomp.js';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What happened to the frames a worker sent, by outcome. */
export type OutcomeCounts = Record<Outcome, number>;
const noOutcomes = (): OutcomeCounts => ({ receipt: 0, error: 0, closed: 0, timeout: 0 });

abstract class Worker {
  protected stopped = false;
  private session: Session | undefined;
  private loop: Promise<void> | undefined;
  /** ERROR frames received, by message. */
  readonly errors: string[] = [];
  connections = 0;

  constructor(protected readonly port: number, private readonly localAddress = '127.0.0.1') {}

  start(): void {
    this.loop = this.run();
  }

  /** Stops after the current connection is closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.session?.close();
    await this.loop;
  }

  protected abstract work(session: Session): Promise<void>;

  private async run(): Promise<void> {
    while (!this.stopped) {
      let session: Session;
      try {
        session = await Session.open({ port: this.port, localAddress: this.localAddress, connectTimeoutMs: 3000 });
      } catch {
        await delay(100); // the broker is down or refused us: try again
        continue;
      }
      this.session = session;
      this.connections++;
      try {
        await this.work(session);
      } finally {
        // stop() may have come while this connection was being opened: it closed the previous one.
        if (this.stopped) await session.close();
        await session.whenClosed();
        this.errors.push(...session.errors);
      }
    }
  }
}

export class Producer extends Worker {
  private seq = 0;
  readonly outcomes = noOutcomes();

  constructor(
    port: number,
    private readonly ledger: Ledger,
    readonly name: string,
    private readonly destination: string,
    private readonly durable: boolean,
    private readonly bodySize = 128,
    /** Sends awaiting their RECEIPT at once. */
    private readonly window = 16,
    /** Pause between two sends of one lane, ms (0: as fast as the receipts come). */
    private readonly paceMs = 0,
  ) {
    super(port);
    ledger.producer(name, durable);
  }

  protected async work(session: Session): Promise<void> {
    const lane = async (): Promise<void> => {
      while (!this.stopped && !session.closed) {
        const seq = this.seq++;
        const outcome = await session.send(this.destination, messageBody(this.name, seq, this.bodySize), { persistent: String(this.durable) });
        this.outcomes[outcome]++;
        if (outcome === 'receipt') this.ledger.receipted(this.name, seq);
        // A RECEIPT that never came leaves the connection in doubt: start a clean one.
        if (outcome === 'timeout') session.destroy();
        if (this.paceMs > 0) await delay(this.paceMs);
      }
    };
    await Promise.all(Array.from({ length: this.window }, lane));
  }
}

export class Consumer extends Worker {
  readonly ackOutcomes = noOutcomes();
  deliveries = 0;
  /** When the last MESSAGE arrived (ms since the epoch), for the drain. */
  lastDeliveryAt = Date.now();

  constructor(
    port: number,
    private readonly ledger: Ledger,
    private readonly destination: string,
    /** ACKs wait up to this long, so some messages are always delivered and unacknowledged. */
    private readonly ackDelayMaxMs = 50,
  ) {
    super(port);
  }

  protected async work(session: Session): Promise<void> {
    const epoch = this.ledger.newEpoch();
    const onMessage = (message: IMessage): void => {
      this.lastDeliveryAt = Date.now();
      this.deliveries++;
      const id = parseBody(message.body);
      if (id === undefined) return;
      this.ledger.delivered(id.producer, id.seq, epoch, message.headers['redelivered'] === 'true');
      void delay(Math.random() * this.ackDelayMaxMs).then(async () => {
        const outcome = await session.ack(message);
        this.ackOutcomes[outcome]++;
        if (outcome === 'receipt') this.ledger.ackConfirmed(id.producer, id.seq);
      });
    };
    const subscribed = await session.subscribe(this.destination, { ack: 'client-individual' }, onMessage);
    if (subscribed !== 'receipt') session.destroy();
  }

  /** Resolves once no message has arrived for `quietMs` (or `maxMs` passed). */
  async drained(quietMs = 2000, maxMs = 60000): Promise<void> {
    const until = Date.now() + maxMs;
    this.lastDeliveryAt = Date.now();
    while (Date.now() - this.lastDeliveryAt < quietMs && Date.now() < until) await delay(100);
  }
}
