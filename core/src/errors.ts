/**
 * Coded errors. Every failure that reaches a user carries a stable `code` (safe to match on, never
 * reworded), a message that says what happened, and a `hint` that says what to do about it.
 * Protocol adapters map codes to their own error frames (STOMP: an ERROR frame whose `message`
 * header is `message`).
 */
export const ErrorCodes = {
  /** The config file is missing, unreadable, or invalid; `issues` lists every problem. */
  CONFIG: 'WHARF_ERR_CONFIG',
  /** A plugin named by the config could not be found or imported. */
  PLUGIN_NOT_FOUND: 'WHARF_ERR_PLUGIN_NOT_FOUND',
  /** A plugin module does not default-export a definition made with definePlugin(). */
  PLUGIN_INVALID: 'WHARF_ERR_PLUGIN_INVALID',
  /** A plugin supports a different core version range than this one. */
  PLUGIN_VERSION: 'WHARF_ERR_PLUGIN_VERSION',
  /** A plugin threw while registering, starting or stopping. */
  PLUGIN_FAILED: 'WHARF_ERR_PLUGIN_FAILED',
  /** Two plugins claim the same name (queue type, protocol, ...). */
  PLUGIN_CONFLICT: 'WHARF_ERR_PLUGIN_CONFLICT',
  /** The caller lacks a right (create, read, write, admin) on a destination. */
  ACCESS_DENIED: 'WHARF_ERR_ACCESS_DENIED',
  /** Authentication failed. The text never says whether the user exists. */
  BAD_CREDENTIALS: 'WHARF_ERR_BAD_CREDENTIALS',
  /** No route leads to a queue type for this destination name (fallback `reject`). */
  NO_ROUTE: 'WHARF_ERR_NO_ROUTE',
  /** The destination name is empty, too long or otherwise not acceptable. */
  BAD_DESTINATION: 'WHARF_ERR_BAD_DESTINATION',
  /** The destination does not exist (and the operation does not create it). */
  NOT_FOUND: 'WHARF_ERR_NOT_FOUND',
  /** The destination does not accept subscribers (a pubsub, a command verb). */
  NOT_SUBSCRIBABLE: 'WHARF_ERR_NOT_SUBSCRIBABLE',
  /** The destination is full and its overflow policy is `reject`. */
  OVERFLOW: 'WHARF_ERR_OVERFLOW',
  /** The operation would make a cycle of pubsubs. */
  CYCLE: 'WHARF_ERR_CYCLE',
  /** Unknown, duplicate or already finished transaction. */
  TRANSACTION: 'WHARF_ERR_TRANSACTION',
  /** A subscription or delivery tag the caller named does not exist. */
  UNKNOWN_SUBSCRIPTION: 'WHARF_ERR_UNKNOWN_SUBSCRIPTION',
  /** A command sent to a /command/ destination is unknown or lacks an argument. */
  BAD_COMMAND: 'WHARF_ERR_BAD_COMMAND',
  /** A client went past a configured limit (frame size, subscriptions, pending buffer, ...). */
  LIMIT: 'WHARF_ERR_LIMIT',
  /** The client broke its protocol's rules. */
  PROTOCOL: 'WHARF_ERR_PROTOCOL',
  /** The durable store failed; the message was not accepted. */
  STORE: 'WHARF_ERR_STORE',
  /** The session or broker is closed. */
  CLOSED: 'WHARF_ERR_CLOSED',
  /** The broker is configured in a way that is unsafe (e.g. anonymous access from the network). */
  UNSAFE: 'WHARF_ERR_UNSAFE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface WharfErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
  /** Machine-readable details (the right and destination of an ACCESS_DENIED, a limit's name, ...). */
  details?: Record<string, unknown>;
}

/**
 * The brand every WharfError carries, under a registry symbol (`Symbol.for`): a plugin that brings
 * its own copy of @wharf/core makes errors the broker's copy recognises, and the other way round.
 */
const WHARF_ERROR_BRAND: unique symbol = Symbol.for('wharf.error') as never;

export class WharfError extends Error {
  /**
   * `err instanceof WharfError` is true for a WharfError made by any copy of @wharf/core in the
   * process (it checks the brand, not the prototype chain). Subclasses (ConfigError) keep the
   * ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== WharfError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [WHARF_ERROR_BRAND]?: unknown })[WHARF_ERROR_BRAND] === true;
  }

  override readonly name = 'WharfError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: WharfErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  /** The message followed by the hint, for logs and terminal output. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

Object.defineProperty(WharfError.prototype, WHARF_ERROR_BRAND, { value: true });

/** True for a WharfError from any copy of @wharf/core (with `code`: of that code). */
export function isWharfError(err: unknown, code?: ErrorCode): err is WharfError {
  return err instanceof WharfError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into a WharfError, keeping WharfErrors as they are. */
export function toWharfError(err: unknown, code: ErrorCode, message: string, hint?: string): WharfError {
  if (err instanceof WharfError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new WharfError(code, `${message}: ${reason}`, { cause: err, ...(hint ? { hint } : {}) });
}

/** A client broke its protocol's rules: adapters answer with an error (STOMP: ERROR) and close. */
export function protocolError(message: string, hint?: string): WharfError {
  return new WharfError(ErrorCodes.PROTOCOL, message, hint ? { hint } : {});
}

/** A client went past the listener limit `limit` (named as in the listener options). */
export function limitError(limit: string, message: string): WharfError {
  return new WharfError(ErrorCodes.LIMIT, `${message} (limit ${limit})`, {
    hint: `stay within the listener's ${limit}, or raise it in the listener options`,
    details: { limit },
  });
}
