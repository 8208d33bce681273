import { expect } from 'chai';
import {
  Broker, createLogger, ErrorCodes, FlowController, defaultMemoryHighWaterMark, holders,
  type ClientSession, type ConfigError, type SessionControl,
} from '../src/index.js';
import { tinyTypesPlugin, type RecordingDestination } from './helpers/tiny-types.js';

const MB = 1024 * 1024;
const silent = createLogger('silent');
const body = (text: string) => ({ headers: {}, body: Buffer.from(text) });

/** A FlowController whose memory reading the test sets, with the alarm changes it reported. */
function controller(high = 100 * MB, low = 80 * MB): { flow: FlowController; memory: { rss: number }; alarms: boolean[] } {
  const memory = { rss: 50 * MB };
  const flow = new FlowController({ highWaterMark: high, lowWaterMark: low, memory: () => memory.rss });
  const alarms: boolean[] = [];
  flow.listen({ alarmChanged: (raised) => alarms.push(raised) });
  return { flow, memory, alarms };
}

describe('FlowController (the memory alarm)', () => {
  it('raises the alarm at the high-watermark and clears it at the low one, not in between', () => {
    const { flow, memory, alarms } = controller();
    flow.heldChanged(60 * MB);
    memory.rss = 99 * MB;
    flow.sample();
    expect(flow.alarm).to.equal(false);
    memory.rss = 100 * MB;
    flow.sample();
    expect(flow.alarm).to.equal(true);
    memory.rss = 85 * MB; // the process gave memory back, but not enough
    flow.sample();
    expect(flow.alarm).to.equal(true);
    memory.rss = 80 * MB;
    flow.sample();
    expect(flow.alarm).to.equal(false);
    expect(alarms).to.deep.equal([true, false]);
  });

  it('clears the alarm when the backlog drained although RSS stays at its peak (memory kept for reuse)', () => {
    const { flow, memory } = controller();
    flow.heldChanged(70 * MB);
    memory.rss = 120 * MB;
    flow.sample();
    expect(flow.alarm).to.equal(true);
    // Consumers take 30 MB of backlog; RSS does not move (the heap keeps its pages).
    flow.heldChanged(-30 * MB);
    flow.sample();
    expect(flow.estimate).to.equal(90 * MB);
    expect(flow.alarm, 'still above the low-watermark').to.equal(true);
    flow.heldChanged(-15 * MB);
    flow.sample();
    expect(flow.estimate).to.equal(75 * MB);
    expect(flow.alarm).to.equal(false);
    // New backlog reuses the freed memory (RSS does not grow): the estimate climbs back with it.
    flow.heldChanged(20 * MB);
    flow.sample();
    expect(flow.estimate).to.equal(95 * MB);
    expect(flow.alarm).to.equal(false);
    flow.heldChanged(6 * MB);
    flow.sample();
    expect(flow.estimate).to.equal(101 * MB);
    expect(flow.alarm).to.equal(true);
  });

  it('does not count freed backlog twice when the process also returns memory to the system', () => {
    const { flow, memory } = controller();
    flow.heldChanged(70 * MB);
    memory.rss = 120 * MB;
    flow.sample();
    flow.heldChanged(-50 * MB);
    memory.rss = 100 * MB; // 20 of the 50 MB went back to the system
    flow.sample();
    expect(flow.estimate).to.equal(70 * MB);
    expect(flow.alarm).to.equal(false);
  });

  it('does not raise an alarm that draining the backlog could never clear, and re-arms after growth of the gap', () => {
    const { flow, memory, alarms } = controller();
    flow.heldChanged(5 * MB);
    memory.rss = 110 * MB; // memory taken by something else than held messages
    flow.sample();
    expect(flow.alarm).to.equal(false);
    expect(flow.estimate).to.equal(80 * MB);
    memory.rss = 125 * MB;
    flow.heldChanged(15 * MB);
    flow.sample();
    expect(flow.alarm, 'grown by less than the gap').to.equal(false);
    memory.rss = 140 * MB;
    flow.heldChanged(20 * MB);
    flow.sample();
    expect(flow.alarm).to.equal(true);
    expect(alarms).to.deep.equal([true]);
  });

  it('is off with a high-watermark of 0', () => {
    const flow = new FlowController({ highWaterMark: 0, lowWaterMark: 0, memory: () => 1e12 });
    flow.heldChanged(1e9);
    flow.sample();
    flow.start();
    flow.stop();
    expect(flow.alarm).to.equal(false);
  });

  it('samples on an unref\'d timer once started', async () => {
    const { flow, memory } = new (class {
      memory = { rss: 500 * MB };
      flow = new FlowController({ highWaterMark: 100 * MB, lowWaterMark: 80 * MB, intervalMs: 5, memory: () => this.memory.rss });
    })();
    flow.heldChanged(450 * MB);
    flow.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(flow.alarm).to.equal(true);
      memory.rss = 10 * MB;
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(flow.alarm).to.equal(false);
    } finally {
      flow.stop();
    }
  });

  it('defaults to 40% of the machine\'s memory, at most half of V8\'s heap limit', () => {
    const value = defaultMemoryHighWaterMark();
    expect(value).to.be.greaterThan(0);
    expect(value).to.be.at.most(4 * 1024 * MB);
  });
});

describe('MessageQueueManager: flow control through SessionControl', () => {
  let broker: Broker;
  let memory: number;
  const paused: Record<string, number> = {};
  const resumed: Record<string, number> = {};

  const control = (id: string): SessionControl => ({
    close: () => undefined,
    pauseReading: () => { paused[id] = (paused[id] ?? 0) + 1; },
    resumeReading: () => { resumed[id] = (resumed[id] ?? 0) + 1; },
  });
  const connect = (id: string): Promise<ClientSession> => broker.mqm.connect({}, {
    id, protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false,
  }, control(id));

  beforeEach(async () => {
    memory = 10 * MB;
    for (const k of Object.keys(paused)) delete paused[k];
    for (const k of Object.keys(resumed)) delete resumed[k];
    broker = await Broker.create({ plugins: [tinyTypesPlugin], limits: { memoryHighWaterMark: 100 * MB } }, { logger: silent, memory: () => memory });
    await broker.start();
  });
  afterEach(() => broker.stop());

  /** Makes `name` (a recording destination) report `bytes` held, as a queue with that backlog would. */
  const hold = (name: string, bytes: number): void => {
    if (broker.mqm.lookup(name) === undefined) broker.mqm.createDestination(name);
    (broker.mqm.lookup(name) as RecordingDestination).ctx.flow!.held(bytes);
  };
  const raiseAlarm = (): void => {
    memory = 200 * MB;
    broker.flow.sample();
    expect(broker.flow.alarm).to.equal(true);
  };

  it('during a memory alarm pauses only the senders to the destinations holding the memory; others, and new clients, go on', async () => {
    const stuck = await connect('stuck');
    const pair = await connect('pair');
    const consumer = await connect('consumer');
    consumer.subscribe('/queue/stuck', { id: 's', session: consumer, ackMode: 'auto', prefetch: 0, deliver: () => true, cancel: () => undefined });
    hold('/queue/stuck', 180 * MB);
    hold('/queue/pair', 1 * MB);
    raiseAlarm();
    expect(broker.mqm.hotDestinations).to.deep.equal(['/queue/stuck']);
    expect(paused, 'nobody is paused before sending').to.deep.equal({});
    stuck.send('/queue/stuck', body('one'));
    stuck.send('/queue/stuck', body('two'));
    pair.send('/queue/pair', body('fine'));
    const late = await connect('late');
    late.send('/queue/elsewhere', body('new client'));
    expect((broker.mqm.lookup('/queue/stuck') as RecordingDestination).messages, 'accepted all the same').to.have.length(2);
    expect((broker.mqm.lookup('/queue/elsewhere') as RecordingDestination).messages).to.have.length(1);
    expect(paused).to.deep.equal({ stuck: 1 });
    expect(broker.mqm.pausedSessions).to.equal(1);
    hold('/queue/stuck', -180 * MB);
    broker.flow.sample();
    expect(broker.flow.alarm).to.equal(false);
    expect(resumed).to.deep.equal({ stuck: 1 });
    expect(broker.mqm.pausedSessions).to.equal(0);
    expect(broker.mqm.hotDestinations).to.deep.equal([]);
  });

  it('throttles the largest holders that together hold most of the memory, and follows them while the alarm lasts', async () => {
    const a = await connect('a');
    const b = await connect('b');
    hold('/queue/a', 100 * MB);
    hold('/queue/b', 60 * MB);
    hold('/queue/c', 5 * MB);
    raiseAlarm();
    expect(broker.mqm.hotDestinations, 'a alone holds less than 80%').to.deep.equal(['/queue/a', '/queue/b']);
    a.send('/queue/a', body('x'));
    b.send('/queue/b', body('y'));
    expect(paused).to.deep.equal({ a: 1, b: 1 });
    // a's consumers catch up (or it pages out) while memory is still short: its sender goes on.
    hold('/queue/a', -100 * MB);
    hold('/queue/b', 100 * MB);
    broker.flow.sample();
    expect(broker.flow.alarm).to.equal(true);
    expect(broker.mqm.hotDestinations).to.deep.equal(['/queue/b']);
    expect(resumed).to.deep.equal({ a: 1 });
  });

  it('pauses nobody when no destination holds the memory (held bytes reported by nothing in particular)', async () => {
    const a = await connect('a');
    broker.flow.heldChanged(200 * MB);
    raiseAlarm();
    a.send('/queue/x', body('z'));
    expect(paused).to.deep.equal({});
    expect(broker.mqm.hotDestinations).to.deep.equal([]);
  });

  it('holders(): largest first, never one holding nothing', () => {
    type Holder = ReturnType<typeof holders>[number];
    const entry = (name: string, bytes: number) => ({ name, holding: { bytes } }) as unknown as Holder;
    const names = (list: ReturnType<typeof holders>) => list.map((e) => e.name);
    expect(names(holders([entry('small', 1), entry('big', 97), entry('mid', 2)]))).to.deep.equal(['big']);
    expect(names(holders([entry('a', 50), entry('b', 50), entry('c', 0)]))).to.deep.equal(['a', 'b']);
    expect(names(holders([entry('none', 0), entry('neg', -5)]))).to.deep.equal([]);
    expect(names(holders([]))).to.deep.equal([]);
  });

  it('pauses the senders to a destination that says it is blocked, until it says it is not', async () => {
    const a = await connect('a');
    const b = await connect('b');
    a.send('/queue/full', body('x'));
    const full = broker.mqm.lookup('/queue/full') as RecordingDestination;
    full.ctx.flow!.blocked(true);
    a.send('/queue/full', body('y'));
    b.send('/queue/other', body('z'));
    expect(paused).to.deep.equal({ a: 1 });
    full.ctx.flow!.blocked(false);
    expect(resumed).to.deep.equal({ a: 1 });
  });

  it('keeps a session paused until every reason is gone, and forgets it when it closes', async () => {
    const a = await connect('a');
    a.send('/queue/full', body('x'));
    const full = broker.mqm.lookup('/queue/full') as RecordingDestination;
    full.ctx.flow!.blocked(true);
    full.ctx.flow!.held(200 * MB);
    raiseAlarm();
    a.send('/queue/full', body('y'));
    expect(paused).to.deep.equal({ a: 1 });
    full.ctx.flow!.blocked(false);
    expect(resumed, 'the alarm still holds it').to.deep.equal({});
    const b = await connect('b');
    b.send('/queue/x', body('z'));
    b.close();
    full.ctx.flow!.held(-200 * MB);
    broker.flow.sample();
    expect(resumed).to.deep.equal({ a: 1 });
  });

  it('resumes the senders of a blocked destination that is deleted', async () => {
    const a = await connect('a');
    a.send('/queue/gone', body('x'));
    (broker.mqm.lookup('/queue/gone') as RecordingDestination).ctx.flow!.blocked(true);
    a.send('/queue/gone', body('y'));
    expect(paused).to.deep.equal({ a: 1 });
    broker.mqm.deleteDestination('/queue/gone');
    expect(resumed).to.deep.equal({ a: 1 });
  });

  it('refuses a low-watermark that is not below the high-watermark', async () => {
    let error: ConfigError | undefined;
    try {
      await Broker.create({ plugins: [tinyTypesPlugin], limits: { memoryHighWaterMark: 100, memoryLowWaterMark: 100 } }, { logger: silent });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.code).to.equal(ErrorCodes.CONFIG);
    expect(error?.issues.map((i) => i.path.join('.'))).to.deep.equal(['limits.memoryLowWaterMark']);
  });
});
