/**
 * Where the MQM asks the security plugins. Authentication runs once per connection through the
 * ordered authenticator chain; authorization answers are cached per session and destination, and
 * the cache is dropped when an authorizer reports that its rules changed.
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import {
  ALL_RIGHTS,
  type Authenticator,
  type Authorizer,
  type ConnectionInfo,
  type Credentials,
  type Principal,
  type Right,
} from '../spi/security.js';

const EVERY_RIGHT: ReadonlySet<Right> = new Set(ALL_RIGHTS);

/** The principal of clients let in when no authenticator plugin is loaded. */
export const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', groups: Object.freeze([]), anonymous: true });

/** A session's cached answers; `generation` says which rules they came from. */
export interface RightsCache {
  generation: number;
  readonly byDestination: Map<string, ReadonlySet<Right>>;
}

/** Bound on cached destinations per session: a client walking through many names cannot grow it. */
const MAX_CACHED_DESTINATIONS = 1024;

export class SecurityGate {
  private generation = 0;

  constructor(
    private readonly authenticators: readonly Authenticator[],
    private readonly authorizers: readonly Authorizer[],
    private readonly logger: Logger,
  ) {
    for (const authorizer of authorizers) authorizer.onChange?.(() => this.generation++);
  }

  /** True when no authenticator is loaded, so every client is anonymous. */
  get open(): boolean {
    return this.authenticators.length === 0;
  }

  /** Runs the chain: the first authenticator that accepts or rejects decides. */
  async authenticate(credentials: Credentials, connection: ConnectionInfo): Promise<Principal> {
    if (this.authenticators.length === 0) return ANONYMOUS;
    for (const authenticator of this.authenticators) {
      const decision = await authenticator.authenticate(credentials, connection);
      if (decision === undefined) continue;
      if ('principal' in decision) return decision.principal;
      break;
    }
    // One text for every failure: it must not tell a guesser whether the user exists.
    this.logger.warn({ connection: connection.id, remoteAddress: connection.remoteAddress }, 'authentication failed');
    throw new WharfError(ErrorCodes.BAD_CREDENTIALS, 'bad credentials', {
      hint: 'check the login and passcode the client sends',
    });
  }

  /**
   * The principal the chain gives a client that presents nothing (no login, no certificate), or
   * undefined when such a client would be refused. Used by the start-up safety check; it neither
   * logs nor throws for a refusal.
   */
  async principalWithoutCredentials(connection: ConnectionInfo): Promise<Principal | undefined> {
    if (this.authenticators.length === 0) return ANONYMOUS;
    for (const authenticator of this.authenticators) {
      const decision = await authenticator.authenticate({}, connection);
      if (decision === undefined) continue;
      return 'principal' in decision ? decision.principal : undefined;
    }
    return undefined;
  }

  /**
   * Whether `principal` could hold any right anywhere. Rights are the intersection over the
   * authorizers, so one authorizer that surely grants nothing is enough to say no; an authorizer
   * that cannot tell (no grantsAnything) is taken to grant something.
   */
  mayGrantAnything(principal: Principal): boolean {
    if (this.authorizers.length === 0) return true;
    return this.authorizers.every((authorizer) => authorizer.grantsAnything?.(principal) ?? true);
  }

  newCache(): RightsCache {
    return { generation: this.generation, byDestination: new Map() };
  }

  rights(principal: Principal, destination: string, cache: RightsCache): ReadonlySet<Right> {
    if (cache.generation !== this.generation) {
      cache.byDestination.clear();
      cache.generation = this.generation;
    }
    let rights = cache.byDestination.get(destination);
    if (rights === undefined) {
      rights = this.compute(principal, destination);
      if (cache.byDestination.size >= MAX_CACHED_DESTINATIONS) cache.byDestination.clear();
      cache.byDestination.set(destination, rights);
    }
    return rights;
  }

  /** Throws ACCESS_DENIED naming the right and the destination unless `principal` has `right`. */
  require(principal: Principal, destination: string, right: Right, cache: RightsCache): void {
    if (this.rights(principal, destination, cache).has(right)) return;
    this.logger.warn({ user: principal.name, destination, right }, 'access refused');
    throw new WharfError(ErrorCodes.ACCESS_DENIED, `${right} access to ${destination} refused for user ${principal.name}`, {
      hint: `grant the "${right}" right on ${destination} to this user or one of its groups`,
      details: { right, destination, user: principal.name },
    });
  }

  /** With no authorizer every right is granted; with several, a right must be granted by all. */
  private compute(principal: Principal, destination: string): ReadonlySet<Right> {
    if (this.authorizers.length === 0) return EVERY_RIGHT;
    let granted: Set<Right> | undefined;
    for (const authorizer of this.authorizers) {
      const rights = authorizer.rights(principal, destination);
      granted = granted === undefined ? new Set(rights) : new Set([...granted].filter((r) => rights.has(r)));
    }
    return granted ?? EVERY_RIGHT;
  }
}
