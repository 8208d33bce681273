/**
 * What each error code means, and what to do about it: the source of docs/errors.md
 * (`node docs/tools/error-codes.mjs` writes it; a test fails when it is out of date).
 *
 * The map is typed by the names in ErrorCodes, so a code added there without a description here
 * does not compile. Each message a WharfError carries says what happened in that case and its
 * `hint` the fix for it; these say what the code means in general.
 */
import type { ErrorCodes } from './errors.js';

/** Who usually meets an error: a client of the broker, whoever runs it, or whoever writes a plugin. */
export type ErrorAudience = 'client' | 'operator' | 'plugin author';

export interface ErrorDescription {
  /** What the code means, in one line. */
  readonly meaning: string;
  /** What the one who meets it should do, in one or two lines. */
  readonly remedy: string;
  readonly seenBy: readonly ErrorAudience[];
}

export type ErrorCodeName = keyof typeof ErrorCodes;

export const ERROR_DESCRIPTIONS: { readonly [name in ErrorCodeName]: ErrorDescription } = {
  CONFIG: {
    meaning: 'The configuration is missing, unreadable or invalid: the config file, a routing rule\'s options (checked against the queue type\'s settingsSchema), a listener that cannot open its port or read its TLS files.',
    remedy: 'Read every issue listed (each names the file, line and key); run `npx wharf config check` until it passes. A queue type that finds a bad setting at create() throws this code too.',
    seenBy: ['operator', 'plugin author'],
  },
  PLUGIN_NOT_FOUND: {
    meaning: 'A plugin named in the config could not be found or imported: no such package or path.',
    remedy: 'Install the package where the config file is (or next to the broker), or fix the path; paths are relative to the config file.',
    seenBy: ['operator', 'plugin author'],
  },
  PLUGIN_INVALID: {
    meaning: 'A plugin module does not default-export a definePlugin() definition, or its options schema does not compile.',
    remedy: 'Plugin authors: `export default definePlugin({ kind, name, core, optionsSchema }, register)` from the package\'s main module, with a valid JSON Schema.',
    seenBy: ['plugin author'],
  },
  PLUGIN_VERSION: {
    meaning: 'A plugin supports a range of @wharf/core versions that does not include the running core.',
    remedy: 'Use a release of the plugin made for this core, or (authors) widen its `core` range once it is tested against this core.',
    seenBy: ['operator', 'plugin author'],
  },
  PLUGIN_FAILED: {
    meaning: 'A plugin threw while registering, starting or stopping; the broker does not start without it.',
    remedy: 'See the cause printed with it; fix the plugin\'s options or the resource it needs (a file, a port, a database).',
    seenBy: ['operator', 'plugin author'],
  },
  PLUGIN_CONFLICT: {
    meaning: 'Two plugins claim the same name: two plugins called alike, or two that provide the same queue type, protocol or store.',
    remedy: 'Load only one of them, or (authors) give yours a name of its own.',
    seenBy: ['operator', 'plugin author'],
  },
  ACCESS_DENIED: {
    meaning: 'The client lacks the right (create, read, write or admin) that the operation needs on this destination.',
    remedy: 'Clients: use a destination you may use, or ask for the right. Operators: `npx wharf acl explain --user NAME DESTINATION` shows which rule decides.',
    seenBy: ['client', 'operator'],
  },
  BAD_CREDENTIALS: {
    meaning: 'Authentication failed; the message never says whether the user exists.',
    remedy: 'Check the login and passcode (or client certificate); repeated failures are slowed down by the users plugin.',
    seenBy: ['client'],
  },
  NO_ROUTE: {
    meaning: 'No routing rule or prefix gives this destination name a queue type, and the fallback is `reject`.',
    remedy: 'Use a name that a rule matches (`npx wharf routes explain NAME` says which), or add a rule or prefix for it.',
    seenBy: ['client', 'operator'],
  },
  BAD_DESTINATION: {
    meaning: 'The destination name is empty, too long or otherwise not acceptable.',
    remedy: 'Send to a name like `/queue/orders`: not empty, within the length limit, and naming a real destination where an argument expects one.',
    seenBy: ['client'],
  },
  NOT_FOUND: {
    meaning: 'The destination does not exist and this operation does not create it (stats, purge, delete, add-child).',
    remedy: 'Create it first (send to it, or `/command/create-queue`), or check the name: `/command/list` shows what exists.',
    seenBy: ['client'],
  },
  NOT_SUBSCRIBABLE: {
    meaning: 'The destination takes no subscribers: a pubsub (subscribe to its children) or a command verb.',
    remedy: 'Subscribe to one of the pubsub\'s child queues, or to the reply destination of a command.',
    seenBy: ['client'],
  },
  OVERFLOW: {
    meaning: 'The destination is full (its maxLength or maxBytes) and its overflow policy is `reject`: the message was not accepted.',
    remedy: 'Send again later, once consumers caught up; operators can raise the limit or choose a dropping overflow policy in the routing rule.',
    seenBy: ['client', 'operator'],
  },
  CYCLE: {
    meaning: 'Adding this child would make a cycle of pubsubs, so a message would be copied forever.',
    remedy: 'Add a queue (or a pubsub that does not lead back) as the child instead.',
    seenBy: ['client'],
  },
  TRANSACTION: {
    meaning: 'The transaction named is unknown, already begun, or already committed or aborted.',
    remedy: 'BEGIN a transaction once, use its id until one COMMIT or ABORT, then begin a new one with a new id.',
    seenBy: ['client'],
  },
  UNKNOWN_SUBSCRIPTION: {
    meaning: 'The subscription or delivery tag named does not exist: an ACK/NACK of a message never delivered, already acknowledged, or of another subscription.',
    remedy: 'Acknowledge each message once, with the ack id of its MESSAGE; in client mode an ACK also covers every earlier message, so do not ACK those again.',
    seenBy: ['client', 'plugin author'],
  },
  BAD_COMMAND: {
    meaning: 'A message sent to a /command/ destination names an unknown command or lacks an argument.',
    remedy: 'Use a verb and the arguments that plugins/queue-command/README.md lists; the error names the one missing.',
    seenBy: ['client'],
  },
  LIMIT: {
    meaning: 'A client went past a configured limit: frame or header size, subscriptions, open or large transactions, a slow subscriber\'s pending buffer.',
    remedy: 'The message names the limit: stay within it (consume faster, smaller frames, fewer transactions), or raise it in the listener options or `limits`.',
    seenBy: ['client', 'operator'],
  },
  PROTOCOL: {
    meaning: 'The client broke its protocol\'s rules (a malformed frame, a missing header, a header value the destination refuses); the connection is closed.',
    remedy: 'Fix the client: the message says which rule; for STOMP see the STOMP 1.2 specification. Queue types use it for a header value they cannot accept (the priority example\'s `priority`).',
    seenBy: ['client', 'plugin author'],
  },
  STORE: {
    meaning: 'The durable store failed (disk full, I/O error, a damaged file) or cannot be opened; a durable message sent meanwhile was not accepted.',
    remedy: 'Clients: send the message again. Operators: fix the store (free space, permissions, the file named); the broker retries by itself and logs the cause.',
    seenBy: ['client', 'operator'],
  },
  CLOSED: {
    meaning: 'The session, destination or broker is closed or shutting down, so the operation cannot run.',
    remedy: 'Connect again (a deleted destination\'s name is routed anew on the next use); authors: a destination throws it from publish/attach after close().',
    seenBy: ['client', 'plugin author'],
  },
  UNSAFE: {
    meaning: 'The broker refuses to start: a listener is reachable from other machines while clients without credentials would get rights.',
    remedy: 'Add users and rules (docs/security.md), or listen on 127.0.0.1 only, or set security.allowAnonymousRemote: true knowingly on a closed network.',
    seenBy: ['operator'],
  },
};
