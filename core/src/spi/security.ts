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
 * chain, in the order their plugins are listed: the first that accepts or rejects decides; one that
 * abstains passes on to the next. When every authenticator abstains the client is refused, so
 * abstaining is always safe. Every refusal reaches the client as the one text "bad credentials"
 * (code BAD_CREDENTIALS), whichever authenticator refused and why.
 *
 * Core also calls the chain once at start with empty credentials and a made-up remote connection
 * (no certificate) to learn whether anonymous clients from other machines would be let in: an
 * authenticator must answer that call like any other, without side effects worth noting.
 */
export type AuthDecision = { readonly principal: Principal } | { readonly rejected: true } | undefined;

/**
 * A setting that explains a security decision, so core can name it in an error (the start-up
 * safety check): the plugin it belongs to and its path within that plugin's config entry (core
 * turns it into the config file's line), or a place in another file the plugin reads.
 */
export interface SettingRef {
  /** The plugin's name (its definition's `name`). */
  readonly plugin: string;
  /** The path within the plugin's entry in `plugins`, e.g. ['options', 'anonymous']. */
  readonly path?: ReadonlyArray<string | number>;
  /** Where it is written when not in the config file, e.g. `/etc/wharf/acl.yaml:3 rules[0]`. */
  readonly where?: string;
  /** What it says, briefly: `anonymous: { groups: [guest] }`. */
  readonly text: string;
}

export interface Authenticator {
  readonly name: string;
  authenticate(credentials: Credentials, connection: ConnectionInfo): AuthDecision | Promise<AuthDecision>;
  /**
   * The setting that lets a client presenting nothing in (an `anonymous` option), or undefined.
   * Optional: the safety check names it in its error when present.
   */
  guestSetting?(): SettingRef | undefined;
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
  /**
   * Whether `principal` could hold any right on any destination. Core asks this at start for the
   * anonymous principal when a listener is reachable from other machines (docs/security.md, "Safe
   * by default"). It may over-approximate (say true when unsure), never under-approximate. An
   * authorizer without this method is taken to grant something.
   */
  grantsAnything?(principal: Principal): boolean;
  /**
   * The rules that can give `principal` a right (what makes grantsAnything true). Optional: the
   * safety check names them in its error when present.
   */
  grantsTo?(principal: Principal): readonly SettingRef[];
}
