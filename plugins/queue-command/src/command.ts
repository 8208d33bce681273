/**
 * The command queue type: the admin interface the original design planned ("create queues, empty
 * queues, associate queues with pubsub queues, disconnect clients, receive event notifications")
 * as destinations, so every protocol gets it without knowing it exists.
 *
 * A command is a message sent to `/command/<verb>` with its arguments as headers (the body is
 * ignored). It runs through the in-process admin API when the MQM publishes it; a refusal is
 * thrown as a WharfError, which the sender's protocol turns into its error frame. On success, a
 * `reply-to` header gets a JSON reply `{ "ok": true, ... }` sent there, carrying the command's
 * `correlation-id`. Every command destination needs the `admin` right, to send and to subscribe.
 */
import {
  ErrorCodes,
  WharfError,
  toWharfError,
  type Consumer,
  type Destination,
  type DestinationStats,
  type JsonSchema,
  type Message,
  type QueueContext,
  type QueueType,
  type SessionInfo,
  type Subscription,
} from '@wharf/core';
import { DEFAULT_EVENT_BUFFER, EventsDestination } from './events.js';
import { COMMAND_CAPABILITIES, commandPowers, type CommandPowers } from './powers.js';
import { EVENTS, VERBS, argumentsOf, siblingOf, unknownVerb, verbOf, type Verb } from './verbs.js';

export interface CommandSettings {
  /** Most events buffered per `/command/events` subscriber that is not keeping up. */
  readonly eventBufferLimit?: number;
}

export const commandSettingsSchema: JsonSchema = {
  type: 'object',
  description: 'settings of command destinations made by a routing rule',
  properties: {
    eventBufferLimit: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_EVENT_BUFFER,
      description: 'most events held for one events subscriber that is not keeping up; past it the subscription is cancelled',
    },
  },
  additionalProperties: false,
};

/** The JSON reply content type. */
const JSON_TYPE = 'application/json';

/** One verb: `/command/create-queue`, `/command/list`, ... */
export class CommandDestination implements Destination {
  readonly type = 'command';
  private executed = 0;
  private failed = 0;

  private readonly powers: CommandPowers;

  constructor(readonly name: string, private readonly verb: Verb, private readonly ctx: QueueContext) {
    this.powers = commandPowers(ctx);
  }

  publish(message: Message, origin?: SessionInfo): void | Promise<void> {
    let reply: Record<string, unknown>;
    let replyTo: string | undefined;
    try {
      const args = argumentsOf(this.verb, message.headers, this.name);
      replyTo = message.headers['reply-to'] || undefined;
      if (replyTo !== undefined) this.checkReplyTo(replyTo);
      this.ctx.logger.info({ command: this.verb.name, args, user: origin?.principal.name, session: origin?.id }, 'command');
      reply = this.verb.run({ args, admin: this.powers.admin, lookup: this.powers.lookup, origin });
    } catch (err) {
      this.failed++;
      throw toWharfError(err, ErrorCodes.BAD_COMMAND, `command ${this.verb.name} failed`);
    }
    this.executed++;
    if (replyTo === undefined) return;
    return this.reply(replyTo, message.headers['correlation-id'], reply);
  }

  /**
   * A transaction's commands are checked before any runs (STOMP 1.2 §COMMIT): the verb's required
   * arguments and the reply-to, as publish checks them. What depends on the broker's state when the
   * command runs (deleting a destination that does not exist) is found only then, since an earlier
   * command of the same transaction may change it.
   */
  prepare(messages: readonly Message[]): void {
    for (let index = 0; index < messages.length; index++) {
      const headers = messages[index]!.headers;
      try {
        argumentsOf(this.verb, headers, this.name);
        const replyTo = headers['reply-to'] || undefined;
        if (replyTo !== undefined) this.checkReplyTo(replyTo);
      } catch (err) {
        const refused = toWharfError(err, ErrorCodes.BAD_COMMAND, `command ${this.verb.name} failed`);
        throw new WharfError(refused.code, refused.message, {
          cause: err, ...(refused.hint ? { hint: refused.hint } : {}), details: { ...refused.details, index },
        });
      }
    }
  }

  /** Commands are sent, not subscribed to. */
  attach(_consumer: Consumer): Subscription {
    const events = siblingOf(this.name, EVENTS);
    throw new WharfError(ErrorCodes.NOT_SUBSCRIBABLE, `clients may not subscribe to ${this.name}: commands are sent to it; subscribe to ${events} for broker events`, {
      hint: `send ${this.name} with a reply-to header to receive its result, or subscribe to ${events}`,
      details: { destination: this.name },
    });
  }

  purge(): number {
    return 0;
  }

  stats(): DestinationStats {
    return { subscribers: 0, depth: 0, unacked: 0, enqueued: this.executed + this.failed, delivered: this.executed, dropped: this.failed };
  }

  close(): void {
    // Holds nothing and nobody.
  }

  private reply(replyTo: string, correlationId: string | undefined, fields: Record<string, unknown>): void | Promise<void> {
    const headers: Record<string, string> = { 'content-type': JSON_TYPE };
    if (correlationId !== undefined) headers['correlation-id'] = correlationId;
    const body = Buffer.from(JSON.stringify({ ok: true, command: this.verb.name, ...fields }));
    const failed = (err: unknown): WharfError => {
      const cause = toWharfError(err, ErrorCodes.BAD_DESTINATION, 'the reply was refused');
      return new WharfError(cause.code, `command ${this.verb.name} succeeded, but its reply to ${replyTo} could not be sent: ${cause.message}`, {
        cause, hint: 'give reply-to a queue the client subscribes to (e.g. /queue/replies-<client>)', details: { replyTo },
      });
    };
    let sent: void | Promise<void>;
    try {
      sent = this.powers.admin.publish(replyTo, headers, body);
    } catch (err) {
      throw failed(err);
    }
    if (sent !== undefined) return sent.catch((err: unknown) => { throw failed(err); });
  }

  /** A reply sent to a command destination would run as a command: refuse it up front. */
  private checkReplyTo(replyTo: string): void {
    const target = this.powers.lookup(replyTo);
    if (target?.type === 'command' || replyTo.startsWith(siblingOf(this.name, ''))) {
      throw new WharfError(ErrorCodes.BAD_COMMAND, `reply-to ${replyTo} is a command destination; replies go to a queue or topic`, {
        hint: 'give reply-to a queue the client subscribes to (e.g. /queue/replies-<client>)',
        details: { replyTo },
      });
    }
  }
}

export const commandQueueType: QueueType = {
  type: 'command',
  // Commands are sent to verbs that exist as long as the broker runs: not transient.
  transient: false,
  rights: { publish: 'admin', attach: 'admin', create: 'admin' },
  // Commands act on the whole broker: the unchecked admin API, other destinations, broker events.
  capabilities: COMMAND_CAPABILITIES,
  settingsSchema: commandSettingsSchema,
  create(name, settings, ctx) {
    const verbName = verbOf(name);
    if (verbName === EVENTS) {
      const limit = (settings as CommandSettings).eventBufferLimit ?? DEFAULT_EVENT_BUFFER;
      return new EventsDestination(name, ctx, limit);
    }
    const verb = VERBS.get(verbName);
    // Refused before it exists: a mistyped verb leaves no destination behind.
    if (verb === undefined) throw unknownVerb(verbName, name);
    return new CommandDestination(name, verb, ctx);
  },
};
