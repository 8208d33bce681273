/**
 * The session registry: opens a session for each authenticated client (BrokerApi.connect), knows
 * the open ones by id (for /command/sessions and /command/disconnect), and closes them all when
 * the broker stops. A session ends itself (ClientSessionImpl.close) and tells the registry.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import type { SessionSummary } from '../spi/admin.js';
import type { ClientSession, SessionControl } from '../spi/protocol.js';
import type { ConnectionInfo, Credentials } from '../spi/security.js';
import { ClientSessionImpl, type SessionServices } from './client-session.js';

/**
 * Told when a connection authenticated, so it can leave the unauthenticated budgets (the broker's
 * connection governor, core/src/kernel/connection-limits.ts).
 */
export interface ConnectionStateListener {
  authenticated(connection: ConnectionInfo): void;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, ClientSessionImpl>();
  private closing = false;
  private services: SessionServices | undefined;

  constructor(private readonly connections?: ConnectionStateListener) {}

  /** Set once by the MQM: the services every session acts through (they need this registry first). */
  wire(services: Omit<SessionServices, 'ended'>): void {
    this.services = { ...services, ended: (session) => this.ended(session) };
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): ClientSessionImpl | undefined {
    return this.sessions.get(id);
  }

  async connect(credentials: Credentials, connection: ConnectionInfo, control: SessionControl): Promise<ClientSession> {
    if (this.closing) throw new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down');
    const services = this.services!;
    const principal = await services.security.authenticate(credentials, connection);
    if (this.closing) throw new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down');
    if (this.sessions.has(connection.id)) {
      throw new WharfError(ErrorCodes.PROTOCOL, `connection ${connection.id} already has a session`);
    }
    const session = new ClientSessionImpl(services, principal, connection, control);
    this.sessions.set(session.id, session);
    this.connections?.authenticated(connection);
    services.emit({
      type: 'client.connected', session: session.id, user: principal.name,
      protocol: connection.protocol, remoteAddress: connection.remoteAddress,
    });
    return session;
  }

  summaries(): SessionSummary[] {
    return [...this.sessions.values()].map((s) => ({
      id: s.id, user: s.principal.name, protocol: s.connection.protocol, remoteAddress: s.connection.remoteAddress,
    }));
  }

  /** Tells the client why (SessionControl.close), then ends its session. */
  disconnect(id: string, reason: string): boolean {
    const session = this.sessions.get(id);
    if (session === undefined) return false;
    session.control.close(new WharfError(ErrorCodes.CLOSED, reason));
    session.close(reason);
    return true;
  }

  /** The broker stops: no new session, every open one told and closed. */
  closeAll(): void {
    this.closing = true;
    for (const session of [...this.sessions.values()]) {
      session.control.close(new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down'));
      session.close('broker shutdown');
    }
  }

  private ended(session: ClientSessionImpl): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }
}
