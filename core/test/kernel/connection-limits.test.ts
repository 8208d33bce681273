import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import {
  Broker, ConnectionGovernor, addressKey, createLogger, definePlugin,
  type ConnectionLimits, type ConnectionTicket, type Endpoints, type ListenerGate,
} from '../../src/index.js';
import { tinyTypesPlugin } from '../helpers/tiny-types.js';

const silent = createLogger('silent');
let nextPort = 40000;

/** A connection from `address`, with a port of its own so that its four-tuple is unique. */
function from(address: string, localPort = 61613): Endpoints {
  return { remoteAddress: address, remotePort: nextPort++, localAddress: '127.0.0.1', localPort };
}

function governor(limits: Partial<ConnectionLimits> = {}): ConnectionGovernor {
  return new ConnectionGovernor({ perAddress: 5, unauthenticatedPerAddress: 3, unauthenticatedPerListener: 6, ...limits }, silent);
}

/** Admits `count` connections from `address` through `gate`; each ticket with its endpoints and whether it was evicted. */
function fill(gate: ListenerGate, address: string, count: number): Array<{ ticket: ConnectionTicket | undefined; endpoints: Endpoints; evicted: () => boolean }> {
  return Array.from({ length: count }, () => {
    const endpoints = from(address);
    let evicted = false;
    const ticket = gate.admit(endpoints, () => { evicted = true; });
    return { ticket, endpoints, evicted: () => evicted };
  });
}

describe('ConnectionGovernor (limits.connections)', () => {
  it('refuses an address past perAddress on all listeners together, and still admits another address', () => {
    const g = governor({ unauthenticatedPerAddress: 100, unauthenticatedPerListener: 100 });
    const one = g.listener('one');
    const two = g.listener('two');
    expect(fill(one, '10.0.0.1', 3).every((c) => c.ticket !== undefined)).to.equal(true);
    expect(fill(two, '10.0.0.1', 2).every((c) => c.ticket !== undefined)).to.equal(true);
    expect(one.admit(from('10.0.0.1'), () => {}), 'the sixth from one address').to.equal(undefined);
    expect(two.admit(from('10.0.0.1'), () => {}), 'on the other listener too').to.equal(undefined);
    expect(one.admit(from('10.0.0.2'), () => {}), 'another address').to.not.equal(undefined);
    const stats = g.stats();
    expect(stats).to.include({ open: 6, addresses: 2, refused: 2 });
    expect(stats.refusedBy.perAddress).to.equal(2);
  });

  it('counts authenticated connections against perAddress only, and frees the unauthenticated budget on login', () => {
    const g = governor();
    const gate = g.listener('l');
    const first = fill(gate, '10.0.0.1', 3);
    expect(gate.admit(from('10.0.0.1'), () => {}), 'a fourth before any login').to.equal(undefined);
    expect(g.stats().refusedBy.unauthenticatedPerAddress).to.equal(1);
    g.authenticated(first[0]!.endpoints);
    expect(first[0]!.ticket!.authenticated).to.equal(true);
    expect(g.stats().unauthenticated).to.equal(2);
    expect(gate.admit(from('10.0.0.1'), () => {}), 'one more once one logged in').to.not.equal(undefined);
    // Logged-in connections still count against perAddress (5): 1 authenticated + 3 waiting + this one.
    g.authenticated(first[1]!.endpoints);
    expect(gate.admit(from('10.0.0.1'), () => {})).to.not.equal(undefined);
    expect(gate.admit(from('10.0.0.1'), () => {}), 'the sixth').to.equal(undefined);
    expect(g.stats().refusedBy.perAddress).to.equal(1);
  });

  it('gives the place back when a connection closes, once, whether it logged in or not', () => {
    const g = governor();
    const gate = g.listener('l');
    const [a, b, c] = fill(gate, '10.0.0.1', 3);
    g.authenticated(a!.endpoints);
    a!.ticket!.release();
    b!.ticket!.release();
    b!.ticket!.release();
    expect(g.stats()).to.include({ open: 1, unauthenticated: 1, addresses: 1 });
    c!.ticket!.release();
    expect(g.stats()).to.include({ open: 0, unauthenticated: 0, addresses: 0 });
    // A login that finishes after its socket closed, or on a stream the governor never saw, changes nothing.
    g.authenticated(c!.endpoints);
    g.authenticated(from('10.0.0.9'));
    expect(g.stats()).to.include({ open: 0, unauthenticated: 0 });
  });

  it('makes room on a full listener for a lighter address by closing the oldest waiting connection of the heaviest', () => {
    const g = governor({ unauthenticatedPerListener: 6 });
    const gate = g.listener('l');
    const heavy = fill(gate, '10.0.0.1', 3);
    const middle = fill(gate, '10.0.0.2', 2);
    fill(gate, '10.0.0.3', 1);
    const newcomer = gate.admit(from('10.0.0.4'), () => {});
    expect(newcomer, 'the newcomer holds none').to.not.equal(undefined);
    expect(heavy.map((c) => c.evicted())).to.deep.equal([true, false, false]);
    expect(middle.some((c) => c.evicted())).to.equal(false);
    expect(g.stats()).to.include({ unauthenticated: 6, evicted: 1, refused: 0 });
    // The evicted connection's own close later releases nothing twice.
    heavy[0]!.ticket!.release();
    expect(g.stats().unauthenticated).to.equal(6);
  });

  it('refuses, rather than churns, when no address on the full listener holds two more than the newcomer', () => {
    const g = governor({ unauthenticatedPerListener: 4 });
    const gate = g.listener('l');
    fill(gate, '10.0.0.1', 2);
    const second = fill(gate, '10.0.0.2', 2);
    // 10.0.0.2 holds 2, the heaviest holds 2: taking one would only swap who waits.
    expect(gate.admit(from('10.0.0.2'), () => {})).to.equal(undefined);
    expect(g.stats().refusedBy.unauthenticatedPerListener).to.equal(1);
    // A login frees a place on the listener.
    g.authenticated(second[0]!.endpoints);
    expect(gate.admit(from('10.0.0.2'), () => {})).to.not.equal(undefined);
  });

  it('keeps listeners\' unauthenticated budgets apart', () => {
    const g = governor({ unauthenticatedPerAddress: 10, perAddress: 10, unauthenticatedPerListener: 2 });
    const one = g.listener('one');
    const two = g.listener('two');
    fill(one, '10.0.0.1', 2);
    expect(one.admit(from('10.0.0.1'), () => {})).to.equal(undefined);
    expect(two.admit(from('10.0.0.1'), () => {})).to.not.equal(undefined);
  });

  it('ignores a socket that has no address any more (closed before it was seen)', () => {
    const g = governor();
    expect(g.listener('l').admit({}, () => {})).to.equal(undefined);
    expect(g.stats()).to.include({ open: 0, refused: 0 });
  });

  describe('addressKey', () => {
    it('keeps IPv4 as it is and reads IPv4-mapped IPv6 as IPv4', () => {
      expect(addressKey('127.0.0.3')).to.equal('127.0.0.3');
      expect(addressKey('::ffff:127.0.0.3')).to.equal('127.0.0.3');
      expect(addressKey('::FFFF:7f00:3')).to.equal('127.0.0.3');
      expect(addressKey('0:0:0:0:0:ffff:10.1.2.3')).to.equal('10.1.2.3');
    });

    it('counts IPv6 by its /64, however it is written', () => {
      const key = addressKey('2001:db8:1:2::1');
      expect(key).to.equal('2001:db8:1:2::/64');
      expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).to.equal(key);
      expect(addressKey('2001:db8:1:2:0:0:0:9%eth0')).to.equal(key);
      expect(addressKey('2001:db8:1:3::1')).to.not.equal(key);
      expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    });
  });
});

describe('connection limits in a running broker', () => {
  /** A protocol that logs a client in when it sends a line, and says `ok` (or why not). */
  const linePlugin = definePlugin({ kind: 'protocol', name: 'test-line', core: '*' }, (ctx) => {
    ctx.protocol({
      protocol: 'line',
      accept(stream, connection, broker) {
        stream.once('end', () => stream.end()); // sockets are half-open capable: end ours when the client ends
        stream.once('data', () => {
          broker.connect({}, connection, { close: () => stream.destroy() }).then(
            (session) => { stream.write('ok\n'); stream.once('close', () => session.close('closed')); },
            (err: Error) => stream.end(`${err.message}\n`),
          );
        });
      },
    });
  });

  let broker: Broker;
  let port: number;
  const sockets: Socket[] = [];

  before(async () => {
    broker = await Broker.create({
      plugins: [tinyTypesPlugin, linePlugin],
      listeners: [{ protocol: 'line', port: 0 }],
      limits: { connections: { perAddress: 4, unauthenticatedPerAddress: 2 } },
    }, { logger: silent });
    await broker.start();
    port = broker.listeners[0]!.port;
  });
  afterEach(() => { for (const s of sockets.splice(0)) s.destroy(); });
  after(() => broker.stop());

  /** Opens a socket from `localAddress`: what it read so far, and when it closed. */
  function open(localAddress: string): { socket: Socket; closed: Promise<void>; text: () => string } {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    sockets.push(socket);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { text += chunk; });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return { socket, closed, text: () => text };
  }

  async function until(predicate: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(predicate(), what).to.equal(true);
  }

  it('closes an address\'s third waiting connection at once, counts it, and admits it again after a login', async () => {
    const waiting = [open('127.0.0.1'), open('127.0.0.1')];
    await until(() => broker.connections.stats().unauthenticated === 2, 'two connections waiting');
    const refused = open('127.0.0.1');
    await refused.closed;
    expect(refused.text()).to.equal('');
    expect(broker.connections.stats().refusedBy.unauthenticatedPerAddress).to.equal(1);
    waiting[0]!.socket.write('login\n');
    await until(() => waiting[0]!.text() === 'ok\n', 'the login answered');
    expect(broker.connections.stats()).to.include({ open: 2, unauthenticated: 1 });
    const again = open('127.0.0.1');
    again.socket.write('login\n');
    await until(() => again.text() === 'ok\n', 'a new connection logs in');
  });

  it('refuses past perAddress on loopback too, while 127.0.0.2 is still served', async () => {
    const logged = [];
    for (let i = 0; i < 4; i++) {
      const c = open('127.0.0.3');
      c.socket.write('login\n');
      await until(() => c.text() === 'ok\n', `login ${i}`);
      logged.push(c);
    }
    const before = broker.connections.stats().refusedBy.perAddress;
    await open('127.0.0.3').closed;
    expect(broker.connections.stats().refusedBy.perAddress).to.equal(before + 1);
    const other = open('127.0.0.2');
    other.socket.write('login\n');
    await until(() => other.text() === 'ok\n', 'another address logs in');
    for (const c of logged) c.socket.destroy();
    await until(() => broker.connections.stats().open === 1, 'closed connections give their places back');
  });
});
