/**
 * The connection governor: how many connections one remote address may hold, broker-wide and across
 * listeners, and how many may wait unauthenticated, per address and per listener (`limits.connections`,
 * docs/security.md "Connection limits"). It is protocol-agnostic: the transports ask it at accept time,
 * before any protocol byte is read, so every adapter — a future MQTT one too — gets it for free; the
 * session registry tells it when a connection authenticated (BrokerApi.connect succeeded), which moves
 * the connection out of the unauthenticated budgets. A refused connection is closed at once.
 *
 * The point is that one address cannot keep another out: a flood from one address fills that
 * address's budgets, never the listener's. When a listener's unauthenticated budget is full anyway
 * (many addresses), a newcomer from an address holding fewer of them wins over the oldest
 * unauthenticated connection of the address holding the most.
 *
 * Addresses are compared as the socket reports them, IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4,
 * and IPv6 by its /64 prefix: one host (or one customer) is commonly given a whole /64, so counting
 * single IPv6 addresses would let it open 2^64 budgets.
 */
import type { Logger } from 'pino';

export interface ConnectionLimits {
  /** Most open connections from one address, authenticated or not, on all listeners together. */
  readonly perAddress: number;
  /** Most connections from one address that have not authenticated yet, on all listeners together. */
  readonly unauthenticatedPerAddress: number;
  /** Most connections on one listener that have not authenticated yet, from all addresses together. */
  readonly unauthenticatedPerListener: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  perAddress: 1000,
  unauthenticatedPerAddress: 32,
  unauthenticatedPerListener: 1000,
};

/** The endpoints of a TCP connection, as a socket (or the ConnectionInfo made from it) reports them. */
export interface Endpoints {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/** Which limit refused a connection. */
export type ConnectionLimitName = keyof ConnectionLimits;

export interface ConnectionStats {
  /** Connections admitted and not yet closed. */
  readonly open: number;
  /** Of those, the ones that have not authenticated yet. */
  readonly unauthenticated: number;
  /** Addresses (IPv6: /64 prefixes) holding at least one connection. */
  readonly addresses: number;
  /** Connections refused since start, in all. */
  readonly refused: number;
  /** Refusals since start, by the limit that refused them. */
  readonly refusedBy: Readonly<Record<ConnectionLimitName, number>>;
  /** Unauthenticated connections closed to make room for a newcomer from a lighter address. */
  readonly evicted: number;
}

/** One admitted connection: release() once, when its socket closes. */
export interface ConnectionTicket {
  readonly address: string;
  readonly authenticated: boolean;
  release(): void;
}

/** The governor as one listener sees it. */
export interface ListenerGate {
  /** Names the listener in logs once its address is known (port 0 resolved). */
  named(url: string): void;
  /**
   * A socket was accepted: a ticket, or undefined when a limit refuses it (counted and logged; the
   * caller closes the socket at once). `evict` closes the socket should the governor need its room.
   */
  admit(endpoints: Endpoints, evict: () => void): ConnectionTicket | undefined;
}

interface AddressState {
  open: number;
  /** Its unauthenticated connections, oldest first (a Set keeps insertion order). */
  readonly pending: Set<Ticket>;
}

interface ListenerState {
  name: string;
  pendingCount: number;
  /** Unauthenticated connections by address, each oldest first. */
  readonly pending: Map<string, Set<Ticket>>;
}

class Ticket implements ConnectionTicket {
  authenticated = false;
  released = false;

  constructor(
    private readonly governor: ConnectionGovernor,
    readonly key: string,
    readonly address: string,
    readonly listener: ListenerState,
    readonly evict: () => void,
  ) {}

  release(): void {
    this.governor.release(this);
  }
}

/** The TCP four-tuple: unique among open connections, and the same on a TLS socket as on its raw socket. */
export function endpointsKey(e: Endpoints): string {
  return `${e.remoteAddress}|${e.remotePort}|${e.localAddress}|${e.localPort}`;
}

/** The address a connection counts against: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64. */
export function addressKey(remoteAddress: string): string {
  if (!remoteAddress.includes(':')) return remoteAddress;
  const lower = remoteAddress.toLowerCase().replace(/%.*$/, '');
  const groups = expandIPv6(lower);
  if (groups === undefined) return lower;
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const [high, low] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)];
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address (without leading zeros), or undefined when it is not one. */
function expandIPv6(address: string): string[] | undefined {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(Math.max(0, missing)).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => g.replace(/^0+(?=.)/, ''));
}

export class ConnectionGovernor {
  private readonly addresses = new Map<string, AddressState>();
  /** Open connections by their four-tuple, for authenticated(). */
  private readonly tickets = new Map<string, Ticket>();
  private readonly refusedBy: Record<ConnectionLimitName, number> = { perAddress: 0, unauthenticatedPerAddress: 0, unauthenticatedPerListener: 0 };
  private refusedTotal = 0;
  private evictedTotal = 0;
  private pendingTotal = 0;

  constructor(readonly limits: ConnectionLimits, private readonly logger: Logger) {}

  /** The gate of one listener; `name` is for logs (`stomp+tcp://127.0.0.1:61613`). */
  listener(name: string): ListenerGate {
    const state: ListenerState = { name, pendingCount: 0, pending: new Map() };
    return {
      named: (url) => { state.name = url; },
      admit: (endpoints, evict) => this.admit(state, endpoints, evict),
    };
  }

  /**
   * The connection with these endpoints authenticated (BrokerApi.connect succeeded for it): it leaves
   * the unauthenticated budgets. Unknown endpoints (in-memory streams, a socket already closed) are
   * ignored, and so is a second call (a protocol that opens a session per request).
   */
  authenticated(endpoints: Endpoints): void {
    const ticket = this.tickets.get(endpointsKey(endpoints));
    if (ticket === undefined || ticket.authenticated) return;
    this.leavePending(ticket);
    ticket.authenticated = true;
  }

  stats(): ConnectionStats {
    return {
      open: this.tickets.size,
      unauthenticated: this.pendingTotal,
      addresses: this.addresses.size,
      refused: this.refusedTotal,
      refusedBy: { ...this.refusedBy },
      evicted: this.evictedTotal,
    };
  }

  private admit(listener: ListenerState, endpoints: Endpoints, evict: () => void): ConnectionTicket | undefined {
    // A socket that is already gone has no address: nothing to admit, nothing to count.
    if (endpoints.remoteAddress === undefined) return undefined;
    const address = addressKey(endpoints.remoteAddress);
    const state = this.addresses.get(address);
    const limits = this.limits;
    if (state !== undefined && state.open >= limits.perAddress) return this.refuse('perAddress', address, endpoints, listener);
    if (state !== undefined && state.pending.size >= limits.unauthenticatedPerAddress) {
      return this.refuse('unauthenticatedPerAddress', address, endpoints, listener);
    }
    if (listener.pendingCount >= limits.unauthenticatedPerListener && !this.makeRoom(listener, address)) {
      return this.refuse('unauthenticatedPerListener', address, endpoints, listener);
    }
    const ticket = new Ticket(this, endpointsKey(endpoints), address, listener, evict);
    const entry = state ?? { open: 0, pending: new Set<Ticket>() };
    if (state === undefined) this.addresses.set(address, entry);
    entry.open++;
    entry.pending.add(ticket);
    let mine = listener.pending.get(address);
    if (mine === undefined) listener.pending.set(address, mine = new Set());
    mine.add(ticket);
    listener.pendingCount++;
    this.pendingTotal++;
    this.tickets.set(ticket.key, ticket);
    return ticket;
  }

  /** @internal Ticket.release(): the socket closed. */
  release(ticket: Ticket): void {
    if (ticket.released) return;
    ticket.released = true;
    if (!ticket.authenticated) this.leavePending(ticket);
    const state = this.addresses.get(ticket.address);
    if (state !== undefined && --state.open === 0) this.addresses.delete(ticket.address);
    if (this.tickets.get(ticket.key) === ticket) this.tickets.delete(ticket.key);
  }

  private leavePending(ticket: Ticket): void {
    const state = this.addresses.get(ticket.address);
    if (state?.pending.delete(ticket) !== true) return;
    const listener = ticket.listener;
    const mine = listener.pending.get(ticket.address);
    mine?.delete(ticket);
    if (mine?.size === 0) listener.pending.delete(ticket.address);
    listener.pendingCount--;
    this.pendingTotal--;
  }

  /**
   * The listener's unauthenticated budget is full: the oldest unauthenticated connection of the address
   * holding the most of them goes, when that address holds at least two more than the newcomer's (so two
   * equal addresses never take turns evicting each other). Runs only while the listener is full; it scans
   * the listener's addresses, at most unauthenticatedPerListener of them.
   */
  private makeRoom(listener: ListenerState, newcomer: string): boolean {
    let heaviest: Set<Ticket> | undefined;
    for (const tickets of listener.pending.values()) if (heaviest === undefined || tickets.size > heaviest.size) heaviest = tickets;
    const mine = listener.pending.get(newcomer)?.size ?? 0;
    if (heaviest === undefined || heaviest.size < mine + 2) return false;
    const victim = heaviest.values().next().value as Ticket;
    this.release(victim);
    this.evictedTotal++;
    this.logger.debug({ address: victim.address, listener: listener.name, for: newcomer },
      'unauthenticated connection closed to make room for one from a lighter address (limits.connections.unauthenticatedPerListener)');
    victim.evict();
    return true;
  }

  private refuse(limit: ConnectionLimitName, address: string, endpoints: Endpoints, listener: ListenerState): undefined {
    this.refusedTotal++;
    this.refusedBy[limit]++;
    this.logger.debug({ address: endpoints.remoteAddress, counted: address, listener: listener.name, limit: `limits.connections.${limit}`, max: this.limits[limit] },
      `connection refused: limits.connections.${limit} (${this.limits[limit]}) reached`);
    return undefined;
  }
}
