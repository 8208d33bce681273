/**
 * The flood's attackers, in a process of their own (so their sockets and CPU do not sit in the
 * event loop that times the good pair), all from one address (127.0.0.3), raw TCP:
 *
 *   - idle: connections that send CONNECT with `heart-beat:0,0` and then nothing (issue 15 item 1);
 *   - big: connections that send a CONNECT announcing a 4 MiB body and never finish it (item 2);
 *   - eol: connections that, after CONNECT, stream heart-beat EOLs as fast as the socket takes them (item 2);
 *   - stuck: a subscriber that never reads its socket, and a producer sending to its queue unpaced (item 3).
 *
 * A connection the broker closes is opened again after a moment, as a hostile client would.
 * Started by attack-flood.ts with fork(): `{ port, address, idle, big }` as JSON in argv[2];
 * answers a "report" message with its counters, and exits on "stop".
 */
import { connect, type Socket } from 'node:net';

interface Plan {
  readonly port: number;
  readonly address: string;
  readonly idle: number;
  readonly big: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const counters = {
  idleOpen: 0, bigOpen: 0, closedByBroker: 0, connectFailures: 0, eolBytes: 0, unpacedSent: 0,
};
const sockets = new Set<Socket>();
let stopping = false;

const BIG_BODY = 4 * 1024 * 1024;
const frame = (command: string, headers: Record<string, string>, body = ''): string =>
  `${command}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}`).join('\n')}\n\n${body}\0`;
const CONNECT = frame('CONNECT', { 'accept-version': '1.2', host: '/', 'heart-beat': '0,0' });
const BIG_HEAD = Buffer.from(`CONNECT\naccept-version:1.2\nhost:/\ncontent-length:${BIG_BODY}\n\n`);
/** All but the last byte of the body (and the NUL), shared by every big connection. */
const BIG_PART = Buffer.alloc(BIG_BODY - 1, 0x61);
const EOLS = Buffer.alloc(64 * 1024, 0x0a);
const UNPACED_SEND = Buffer.from(frame('SEND', { destination: '/queue/soak.flood.stuck', 'content-length': '4096' }, 'x'.repeat(4096)));

/** Opens a connection from the attack address; `onOpen` runs on connect; reopened after a close while running. */
function attacker(kind: 'idle' | 'big' | 'eol' | 'stuck' | 'unpaced', onOpen: (socket: Socket) => void, counter?: 'idleOpen' | 'bigOpen'): Promise<void> {
  return new Promise((settled) => {
    const socket = connect({ port: plan.port, host: '127.0.0.1', localAddress: plan.address });
    sockets.add(socket);
    let opened = false;
    socket.setNoDelay(true);
    socket.on('data', () => undefined);
    socket.once('connect', () => {
      opened = true;
      if (counter) counters[counter]++;
      settled();
      onOpen(socket);
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      sockets.delete(socket);
      if (opened && counter) counters[counter]--;
      if (!opened) {
        counters.connectFailures++;
        settled();
      } else counters.closedByBroker++;
      if (!stopping) setTimeout(() => void attacker(kind, onOpen, counter), opened ? 200 : 1000);
    });
  });
}

/** Writes `chunk` again every time the socket drains, for ever. */
function pump(socket: Socket, chunk: Buffer, count: (n: number) => void): void {
  const go = (): void => {
    while (!socket.destroyed && !stopping) {
      count(chunk.length);
      if (!socket.write(chunk)) {
        socket.once('drain', go);
        return;
      }
    }
  };
  go();
}

async function openMany(n: number, open: () => Promise<void>, batch = 200): Promise<void> {
  for (let done = 0; done < n && !stopping; done += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - done) }, open));
  }
}

/** Every kind at once: the lockout and the memory build up side by side, as in a real attack. */
async function main(): Promise<void> {
  const stuck = attacker('stuck', (s) => {
    s.write(CONNECT);
    s.write(frame('SUBSCRIBE', { id: '0', destination: '/queue/soak.flood.stuck', ack: 'auto' }));
    // Read nothing from now on: the broker's writes to it back up.
    setTimeout(() => s.pause(), 200);
  });
  const unpaced = attacker('unpaced', (s) => {
    s.write(CONNECT);
    pump(s, UNPACED_SEND, () => counters.unpacedSent++);
  });
  const eols = Array.from({ length: 2 }, () => attacker('eol', (s) => {
    s.write(CONNECT);
    pump(s, EOLS, (n) => { counters.eolBytes += n; });
  }));
  const big = openMany(plan.big, () => attacker('big', (s) => { s.write(BIG_HEAD); s.write(BIG_PART); }, 'bigOpen'), 50);
  const idle = openMany(plan.idle, () => attacker('idle', (s) => s.write(CONNECT), 'idleOpen'), 500);
  await Promise.all([stuck, unpaced, ...eols, big, idle]);
}

process.on('message', (message: string) => {
  if (message === 'report') process.send?.({ ...counters });
  if (message === 'stop') {
    stopping = true;
    for (const socket of sockets) socket.destroy();
    process.send?.({ ...counters }, () => process.exit(0));
  }
});
void main();
