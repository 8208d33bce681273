/**
 * The scenarios. Each runs once against one target and returns its figures and its exactly-once
 * verdicts; the runner repeats, alternates targets and takes medians.
 */
import { GroupAccounting, type Verdict } from './accounting.js';
import { StompClient } from './client.js';
import { consumerHandler, openLoop, Producer, sleep, waitFor } from './load.js';
import { COMMANDS, encodeFrame, FrameReader, payloadSeq, payloadTs, SendTemplate, type HeaderList } from './stomp.js';
import type { Target, TargetKind } from './targets.js';

export interface Settings {
  /** Body bytes; 0 for scenarios that send no messages. */
  readonly size: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Messages in flight across all producers (closed loop). */
  readonly inflight: number;
  /** Open-loop rate of the latency scenario, msg/s. */
  readonly rate: number;
  /** Open-loop producer rate of the slow-consumer scenario, msg/s (its consumer reads a quarter of it). */
  readonly openRate: number;
  /** Idle connections opened by the idle scenario. */
  readonly connections: number;
  /** Wharf's memory high-watermark in the slow-consumer scenario, bytes. */
  readonly memoryHighWaterMark: number;
  /** Distinguishes destinations between runs against one server process. */
  readonly runId: string;
}

export interface Metric {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

export interface Measurement {
  readonly metrics: Metric[];
  readonly verdicts: Verdict[];
  /** Anything else worth printing (RSS samples, blocked writes, ...). */
  readonly details?: Record<string, unknown>;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Which servers it runs against: the null server only, or the relay, Wharf and the peer. */
  readonly against: 'null' | 'brokers';
  /** Runs once per message size; otherwise once. */
  readonly sized: boolean;
  /** Each run gets a freshly started server (memory figures). */
  readonly freshPerRun: boolean;
  /** Needs Wharf's durable store. */
  readonly durable?: boolean;
  /** The servers it runs against, when not the relay, Wharf and the peer; the first is the reference of the ratios. */
  readonly targets?: readonly TargetKind[];
  run(target: Target, settings: Settings): Promise<Measurement>;
}

/** Collects connections so a scenario can close them all, whatever happened. */
class Clients {
  readonly all: StompClient[] = [];
  failure: string | undefined;

  async connect(target: Target, onMessage?: Parameters<typeof StompClient.connect>[0]['onMessage']): Promise<StompClient> {
    const client = await StompClient.connect({ port: target.port, ...(target.login ? { login: target.login } : {}), ...(onMessage ? { onMessage } : {}) });
    client.onFailure = (reason) => { this.failure ??= `connection ${this.all.indexOf(client)}: ${reason}`; };
    this.all.push(client);
    return client;
  }

  closeAll(): void {
    for (const c of this.all) c.close();
  }
}

function failed(group: string, reason: string, base?: Verdict): Verdict {
  return {
    group, ok: false, received: base?.received ?? 0, expected: base?.expected ?? 0, duplicates: base?.duplicates ?? 0,
    missing: base?.missing ?? 0, reordered: base?.reordered ?? 0, unexpected: base?.unexpected ?? 0,
    examples: [reason, ...(base?.examples ?? [])],
  };
}

interface FlowShape {
  readonly kind: 'queue' | 'topic';
  readonly producers: number;
  readonly consumers: number;
  readonly durable?: boolean;
  /** Durable sends ask for a RECEIPT every this many messages (default 100). */
  readonly receiptEvery?: number;
  /** Consumers subscribe client-individual and ACK every message (otherwise `auto`, as queue 1 → 1). */
  readonly ackEach?: boolean;
}

/**
 * Closed loop: `inflight` messages in flight, each producer's share credited back as its messages
 * are delivered (for a topic, once per `consumers` deliveries). Measures deliveries per second
 * after the warm-up, then stops the producers, waits for everything sent to arrive and checks it.
 */
async function closedLoop(target: Target, s: Settings, shape: FlowShape): Promise<Measurement> {
  const { producers: P, consumers: C, kind } = shape;
  const destination = `/${kind}/bench-${s.runId}`;
  const fanout = kind === 'topic' ? C : 1;
  const groups = kind === 'queue'
    ? [new GroupAccounting(`${destination} (${C} competing)`, P, C)]
    : Array.from({ length: C }, (_, i) => new GroupAccounting(`${destination} subscriber ${i}`, P, 1));
  const producers: Producer[] = [];
  const perProducer = new Float64Array(P);
  let delivered = 0;
  const clients = new Clients();
  try {
    for (let c = 0; c < C; c++) {
      const accounting = kind === 'queue' ? groups[0]! : groups[c]!;
      let client: StompClient | undefined;
      const handler = consumerHandler(() => client!, {
        accounting, index: kind === 'queue' ? c : 0, ack: shape.ackEach === true,
        onDelivery: (p) => {
          delivered++;
          if (p < P && ++perProducer[p]! % fanout === 0) producers[p]!.credit();
        },
      });
      client = await clients.connect(target, handler);
      await client.subscribe(destination, `s${c}`, shape.ackEach ? 'client-individual' : 'auto');
    }
    const extra: HeaderList = shape.durable ? [['persistent', 'true']] : [];
    for (let p = 0; p < P; p++) {
      const client = await clients.connect(target);
      const template = new SendTemplate(destination, s.size, p, extra);
      producers.push(shape.durable
        ? new Producer(client, p, template, shape.receiptEvery ?? 100, new SendTemplate(destination, s.size, p, [...extra, ['receipt', `p${p}`]]))
        : new Producer(client, p, template));
    }
    const share = Math.floor(s.inflight / P);
    producers.forEach((producer, p) => producer.credit(share + (p < s.inflight % P ? 1 : 0)));
    const abort = (): boolean => clients.failure !== undefined;

    await waitFor(() => false, s.warmupSeconds * 1000, abort);
    const t0 = performance.now();
    const d0 = delivered;
    const cpu0 = cpuNow(target);
    await waitFor(() => false, s.seconds * 1000, abort);
    const t1 = performance.now();
    const d1 = delivered;
    const cpu = cpuShare(target, cpu0, t1 - t0);
    for (const producer of producers) producer.stop();

    const sent = producers.map((p) => p.sent);
    const totalSent = sent.reduce((a, b) => a + b, 0);
    const drainMs = Math.max(10000, s.seconds * 3000);
    await waitFor(() => delivered >= totalSent * fanout, drainMs, abort);
    const receiptsRequested = producers.reduce((a, p) => a + p.receiptsRequested, 0);
    const receiptsOk = await waitFor(() => producers.reduce((a, p) => a + p.client.unclaimedReceipts, 0) >= receiptsRequested, drainMs, abort);

    const verdicts = groups.map((g) => g.verify(sent));
    if (clients.failure !== undefined) verdicts.push(failed(`${destination} connections`, clients.failure));
    if (!receiptsOk) {
      const got = producers.reduce((a, p) => a + p.client.unclaimedReceipts, 0);
      verdicts.push(failed(`${destination} receipts`, `${got} of ${receiptsRequested} RECEIPTs for persistent sends arrived`));
    }
    return {
      metrics: [
        { metric: kind === 'topic' ? 'deliveries' : 'throughput', value: ((d1 - d0) * 1000) / (t1 - t0), unit: 'msg/s' },
        ...cpuMetrics(cpu),
      ],
      verdicts,
      details: { sent: totalSent, delivered, blockedWrites: producers.reduce((a, p) => a + p.blockedCount, 0), ...(receiptsRequested ? { receiptsRequested } : {}) },
    };
  } finally {
    for (const producer of producers) producer.stop();
    clients.closeAll();
  }
}

/** CPU time used so far by the server and by this generator process, in ms. */
function cpuNow(target: Target): { server: number; generator: number } {
  const own = process.cpuUsage();
  return { server: target.cpuMs(), generator: (own.user + own.system) / 1000 };
}

/** Share of one core each side used since `before`, over `elapsedMs` (1 = one core busy). */
function cpuShare(target: Target, before: { server: number; generator: number }, elapsedMs: number): { server: number; generator: number } {
  const now = cpuNow(target);
  return {
    server: +((now.server - before.server) / elapsedMs).toFixed(2),
    generator: +((now.generator - before.generator) / elapsedMs).toFixed(2),
  };
}

/** CPU shares as metrics: the table shows them beside the scenario's main figure. */
function cpuMetrics(cpu: { server: number; generator: number }): Metric[] {
  return [
    { metric: 'server-cpu', value: cpu.server, unit: 'cores' },
    { metric: 'generator-cpu', value: cpu.generator, unit: 'cores' },
  ];
}

/** Growable sample store. */
class Samples {
  private data = new Float64Array(4096);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Messages sent flat out before the latency scenario's open loop starts (its warm-up burst). */
const LATENCY_WARMUP_MESSAGES = 50_000;

/**
 * Open loop at `rate` msg/s, one producer, one consumer on a queue: latency from the body's send
 * time. A closed-loop burst of LATENCY_WARMUP_MESSAGES comes first (see the comment there).
 */
async function latency(target: Target, s: Settings): Promise<Measurement> {
  const destination = `/queue/bench-latency-${s.runId}`;
  const accounting = new GroupAccounting(destination, 1, 1);
  const samples = new Samples();
  let measuring = { from: Infinity, to: Infinity };
  let delivered = 0;
  const clients = new Clients();
  let producer: Producer | undefined;
  let ticker: { stop(): void } | undefined;
  try {
    let consumer: StompClient | undefined;
    consumer = await clients.connect(target, consumerHandler(() => consumer!, {
      accounting, index: 0,
      onDelivery: (_p, frame) => {
        delivered++;
        const ts = payloadTs(frame);
        if (ts >= measuring.from && ts < measuring.to) samples.push(performance.now() - ts);
      },
    }));
    await consumer.subscribe(destination, 's0');
    producer = new Producer(await clients.connect(target), 0, new SendTemplate(destination, s.size, 0));
    const abort = (): boolean => clients.failure !== undefined;
    // Warm the server's code up first, as the throughput scenarios do by running flat out: a server
    // that compiles its hot paths while being measured shows its compiler, not its latency. A
    // closed-loop burst, then the open loop's own warm-up lets the burst's garbage be collected.
    const burst = Math.min(LATENCY_WARMUP_MESSAGES, Math.round(s.rate * s.warmupSeconds * 25));
    const p = producer;
    await waitFor(() => {
      const room = Math.min(s.inflight - (p.sent + p.credits - delivered), burst - p.sent - p.credits);
      if (room > 0) p.credit(room);
      return p.sent >= burst && delivered >= p.sent;
    }, 30000, abort);
    ticker = openLoop(producer, s.rate);
    await waitFor(() => false, s.warmupSeconds * 1000, abort);
    measuring = { from: performance.now(), to: Infinity };
    await waitFor(() => false, s.seconds * 1000, abort);
    measuring = { from: measuring.from, to: performance.now() };
    ticker.stop();
    producer.stop();
    await waitFor(() => delivered >= producer!.sent, 10000, abort);
    const verdicts = [accounting.verify([producer.sent])];
    if (clients.failure !== undefined) verdicts.push(failed(`${destination} connections`, clients.failure));
    const sorted = samples.sorted();
    return {
      metrics: [
        { metric: 'p50', value: percentile(sorted, 0.5), unit: 'ms' },
        { metric: 'p99', value: percentile(sorted, 0.99), unit: 'ms' },
        { metric: 'max', value: sorted.length ? sorted[sorted.length - 1]! : NaN, unit: 'ms' },
      ],
      verdicts,
      details: { samples: sorted.length },
    };
  } finally {
    ticker?.stop();
    producer?.stop();
    clients.closeAll();
  }
}

/**
 * An open-loop producer at `openRate` and a consumer that reads a quarter of that: the server must
 * hold (or push back) the difference. Samples the server's RSS every 100 ms; afterwards the
 * consumer reads at full speed and every message must arrive exactly once.
 */
async function slowConsumer(target: Target, s: Settings): Promise<Measurement> {
  const destination = `/queue/bench-slow-${s.runId}`;
  const accounting = new GroupAccounting(destination, 1, 1);
  const consumerRate = s.openRate / 4;
  const clients = new Clients();
  let producer: Producer | undefined;
  let ticker: { stop(): void } | undefined;
  const baseline = target.rss();
  const rssSamples: Array<[number, number]> = [];
  const start = performance.now();
  const sample = (): void => { rssSamples.push([Math.round(performance.now() - start), target.rss()]); };
  const sampler = setInterval(sample, 100);
  try {
    let delivered = 0;
    let throttled = true;
    let paused = false;
    let consumer: StompClient | undefined;
    let readStart = 0;
    consumer = await clients.connect(target, consumerHandler(() => consumer!, {
      accounting, index: 0,
      onDelivery: () => {
        delivered++;
        if (!throttled || paused) return;
        // Ahead of the allowed rate: stop reading until the budget catches up.
        const aheadMs = (delivered * 1000) / consumerRate - (performance.now() - readStart);
        if (aheadMs > 1) {
          paused = true;
          consumer!.socket.pause();
          setTimeout(() => { paused = false; consumer!.socket.resume(); }, aheadMs);
        }
      },
    }));
    await consumer.subscribe(destination, 's0');
    producer = new Producer(await clients.connect(target), 0, new SendTemplate(destination, s.size, 0));
    readStart = performance.now();
    ticker = openLoop(producer, s.openRate);
    const abort = (): boolean => clients.failure !== undefined;
    await waitFor(() => false, (s.warmupSeconds + s.seconds) * 1000, abort);
    ticker.stop();
    producer.stop();
    const produceMs = performance.now() - readStart;
    const backlogAtStop = producer.sent - delivered;
    throttled = false;
    consumer.socket.resume();
    const drainStart = performance.now();
    await waitFor(() => delivered >= producer!.sent, Math.max(30000, s.seconds * 10000), abort);
    const drainMs = performance.now() - drainStart;
    sample();
    const verdicts = [accounting.verify([producer.sent])];
    if (clients.failure !== undefined) verdicts.push(failed(`${destination} connections`, clients.failure));
    const peak = Math.max(...rssSamples.map(([, rss]) => rss));
    const mb = (b: number): number => b / (1024 * 1024);
    return {
      metrics: [
        { metric: 'peak-rss', value: mb(peak), unit: 'MB' },
        { metric: 'rss-growth', value: mb(peak - baseline), unit: 'MB' },
        { metric: 'produced', value: (producer.sent * 1000) / produceMs, unit: 'msg/s' },
        // Wharf runs with limits.memoryHighWaterMark: its peak must stay within it plus 20% (issue 7).
        ...(target.kind === 'wharf' ? [{ metric: 'peak-rss-vs-watermark', value: peak / s.memoryHighWaterMark, unit: '×' }] : []),
      ],
      verdicts,
      details: {
        baselineMB: +mb(baseline).toFixed(1), backlogAtStop, drainMs: Math.round(drainMs),
        rssMB: rssSamples.filter((_, i) => i % 5 === 0 || i === rssSamples.length - 1).map(([t, rss]) => [t, +mb(rss).toFixed(1)]),
      },
    };
  } finally {
    clearInterval(sampler);
    ticker?.stop();
    producer?.stop();
    clients.closeAll();
  }
}

/** N connections that CONNECT and stay idle: RSS delta per connection. */
async function idle(target: Target, s: Settings): Promise<Measurement> {
  const clients = new Clients();
  try {
    await sleep(300);
    const before = target.rss();
    const batch = 100;
    for (let i = 0; i < s.connections; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, s.connections - i) }, () => clients.connect(target)));
    }
    await sleep(1000);
    const after = target.rss();
    const verdicts: Verdict[] = clients.failure !== undefined ? [failed('idle connections', clients.failure)] : [];
    return {
      metrics: [{ metric: 'per-connection', value: (after - before) / s.connections / 1024, unit: 'KB' }],
      verdicts,
      details: { connections: s.connections, beforeMB: +(before / 1048576).toFixed(1), afterMB: +(after / 1048576).toFixed(1) },
    };
  } finally {
    clients.closeAll();
  }
}

/**
 * The generator's ceiling: one producer writing as fast as the socket takes it to the null server
 * (which swallows everything), and the consumer side's parse + accounting cost measured in-process
 * on a stream of MESSAGE frames cut into 64 KiB chunks.
 */
async function ceiling(target: Target, s: Settings): Promise<Measurement> {
  const clients = new Clients();
  const producer = new Producer(await clients.connect(target), 0, new SendTemplate('/queue/bench-ceiling', s.size, 0));
  try {
    producer.credit(Number.POSITIVE_INFINITY);
    const abort = (): boolean => clients.failure !== undefined;
    await waitFor(() => false, s.warmupSeconds * 1000, abort);
    const t0 = performance.now();
    const n0 = producer.sent;
    const cpu0 = cpuNow(target);
    await waitFor(() => false, s.seconds * 1000, abort);
    const elapsed = performance.now() - t0;
    const sendRate = ((producer.sent - n0) * 1000) / elapsed;
    const cpu = cpuShare(target, cpu0, elapsed);
    producer.stop();
    return {
      metrics: [
        { metric: 'send', value: sendRate, unit: 'msg/s' },
        { metric: 'parse', value: parseCeiling(s.size, Math.min(1, s.seconds)), unit: 'msg/s' },
        ...cpuMetrics(cpu),
      ],
      verdicts: clients.failure !== undefined ? [failed('ceiling connection', clients.failure)] : [],
    };
  } finally {
    producer.stop();
    clients.closeAll();
  }
}

/** MESSAGE frames per second the consumer side can parse and account, in-process, for `seconds`. */
export function parseCeiling(size: number, seconds: number): number {
  const frames: Buffer[] = [];
  const template = new SendTemplate('/queue/x', size, 0);
  for (let i = 0; i < 1024; i++) {
    const body = template.batch(1, i, 0).subarray(template.length - 1 - size, template.length - 1);
    frames.push(encodeFrame('MESSAGE', [['subscription', 's0'], ['message-id', `ID:bench-${i}`], ['destination', '/queue/x']], body));
  }
  const stream = Buffer.concat(frames);
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += 65536) chunks.push(stream.subarray(at, Math.min(stream.length, at + 65536)));
  let parsed = 0;
  let rounds = 0;
  let accounting = new GroupAccounting('parse', 1, 1);
  const reader = new FrameReader((frame) => {
    parsed++;
    if (frame.buf[frame.start] === COMMANDS.MESSAGE[0]) accounting.record(0, 0, payloadSeq(frame) + (rounds % 256) * 1024);
  });
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    for (const chunk of chunks) reader.push(chunk);
    if (++rounds % 256 === 0) accounting = new GroupAccounting('parse', 1, 1);
  }
  return (parsed * 1000) / (performance.now() - start);
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'ceiling', title: 'generator ceiling (null server)', against: 'null', sized: true, freshPerRun: false, run: ceiling },
  { name: 'queue-1-1', title: 'queue 1 → 1', against: 'brokers', sized: true, freshPerRun: false,
    run: (t, s) => closedLoop(t, s, { kind: 'queue', producers: 1, consumers: 1 }) },
  { name: 'queue-4-4', title: 'queue 4 → 4 competing', against: 'brokers', sized: true, freshPerRun: false,
    run: (t, s) => closedLoop(t, s, { kind: 'queue', producers: 4, consumers: 4 }) },
  { name: 'topic-1-10', title: 'topic 1 → 10 (deliveries)', against: 'brokers', sized: true, freshPerRun: false,
    run: (t, s) => closedLoop(t, s, { kind: 'topic', producers: 1, consumers: 10 }) },
  { name: 'latency', title: 'latency, open loop', against: 'brokers', sized: true, freshPerRun: false, run: latency },
  // Issue 7's durable queue: queue 1 → 1 as above (auto ack), with persistent:true and a receipt
  // every 100 sends, so that its ratio to queue 1 → 1 is the cost of durability alone.
  { name: 'durable', title: 'durable queue 1 → 1, receipt every 100', against: 'brokers', sized: true, freshPerRun: false, durable: true,
    run: (t, s) => closedLoop(t, s, { kind: 'queue', producers: 1, consumers: 1, durable: true }) },
  // The same with a consumer that ACKs each message (client-individual): no target, shown beside it.
  { name: 'durable-acks', title: 'durable queue 1 → 1, receipt every 100, ACK per message', against: 'brokers', sized: true, freshPerRun: false,
    durable: true, run: (t, s) => closedLoop(t, s, { kind: 'queue', producers: 1, consumers: 1, durable: true, ackEach: true }) },
  // Issue 6: durable sends with a RECEIPT on each, Wharf with group commit against Wharf with one
  // transaction per message. The consumer uses auto ack, so both do the same store operations per
  // message (its append, its removal once delivered): only how they are grouped into transactions
  // differs. With an ACK per message (the -acks variant, no target) the modes differ in more than
  // that: one transaction per message also writes each delivery mark at once, which group commit
  // defers and cancels when the ACK comes first (docs/durability.md, "Delivery marks wait").
  { name: 'durable-receipts', title: 'durable sends, receipt on each: group commit vs 1 tx per message', against: 'brokers', sized: true,
    freshPerRun: false, durable: true, targets: ['wharf-1tx', 'wharf'],
    run: (t, s) => closedLoop(t, s, { kind: 'queue', producers: 1, consumers: 1, durable: true, receiptEvery: 1 }) },
  { name: 'durable-receipts-acks', title: 'durable sends, receipt on each, ACK per message: group commit vs 1 tx per message', against: 'brokers',
    sized: true, freshPerRun: false, durable: true, targets: ['wharf-1tx', 'wharf'],
    run: (t, s) => closedLoop(t, s, { kind: 'queue', producers: 1, consumers: 1, durable: true, receiptEvery: 1, ackEach: true }) },
  { name: 'slow-consumer', title: 'open-loop producer, consumer at ¼ rate', against: 'brokers', sized: true, freshPerRun: true, run: slowConsumer },
  { name: 'idle', title: 'idle connections', against: 'brokers', sized: false, freshPerRun: true, run: idle },
];

export function targetsFor(scenario: Scenario, peer: TargetKind | undefined): TargetKind[] {
  if (scenario.against === 'null') return ['null'];
  if (scenario.targets !== undefined) return [...scenario.targets];
  return peer ? ['relay', 'wharf', peer] : ['relay', 'wharf'];
}
