/** Security contracts: who a client is (authentication) and what it may do (authorization). */

/**
 * Rights after the original design: `create` a destination by first use, `read` (subscribe),
 * `write` (send), and `admin` (command destinations, deleting, listing, disconnecting).
 */
export type Right = 'create' | 'read' | 'write' | 'admin';
export const ALL_RIGHTS: readonly Right[] = Object.freeze(['create', 'read', 'write', 'admin']);

export interface Principal {
  readonly name: string;
  readonly groups: readonly string[];
  /** True for clients that gave no credentials and were let in as anonymous. */
  readonly anonymous: boolean;
}

/** What a client presented. Never logged and never passed on to consumers. */
export interface Credentials {
  readonly login?: string | undefined;
  readonly passcode?: string | undefined;
}

export interface PeerCertificateInfo {
  readonly subject: Readonly<Record<string, string | string[]>>;
  readonly fingerprint256?: string;
}

/** Facts about one client connection, from its transport. */
export interface ConnectionInfo {
  /** Unique within the broker; also the session id given to the client. */
  readonly id: string;
  readonly protocol: string;
  readonly transport: string;
  readonly remoteAddress: string;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  /** True over TLS (or WebSocket over TLS). */
  readonly secure: boolean;
  /** The client's certificate, when TLS asked for one and the client sent one that verified. */
  readonly peerCertificate?: PeerCertificateInfo | undefined;
}

/**
 * An authenticator decides, abstains (returns undefined) or rejects. Authenticators form an ordered
 * chain: the first that accepts or rejects decides; one that abstains passes on to the next.
 */
export type AuthDecision = { readonly principal: Principal } | { readonly rejected: true } | undefined;

export interface Authenticator {
  readonly name: string;
  authenticate(credentials: Credentials, connection: ConnectionInfo): AuthDecision | Promise<AuthDecision>;
}

export interface Authorizer {
  readonly name: string;
  /** The rights `principal` has on `destination`. Called once per (session, destination, generation). */
  rights(principal: Principal, destination: string): ReadonlySet<Right>;
  /**
   * Called by the authorizer's owner when its rules change (a file re-read): cached decisions are
   * dropped. Core installs the listener; authorizers without live reload ignore it.
   */
  onChange?(listener: () => void): void;
}
