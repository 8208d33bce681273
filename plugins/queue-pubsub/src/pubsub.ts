/**
 * The pubsub queue type: a destination that replicates every message into a set of child
 * destinations, each of which then distributes it by its own rules (a queue holds it for later
 * subscribers, a topic hands it to its current ones, a nested pubsub copies it on).
 *
 * From the original design: "A pubsub queue replicates incoming messages to a set of child queues.
 * Clients may not subscribe to pubsub queues. Child queues may be added any time after the pubsub
 * queue has been created, and applies to all subsequent messages."
 *
 * Children are managed through the MQM (`addChild` / `removeChild`, the config's `pubsub:` section
 * and the `/command/add-child` verb), which refuses cycles before it calls in here.
 */
import {
  ErrorCodes,
  WharfError,
  type Consumer,
  type DestinationStats,
  type JsonSchema,
  type Message,
  type ParentDestination,
  type QueueContext,
  type QueueType,
  type SessionInfo,
  type Subscription,
} from '@wharf/core';

export interface PubsubSettings {
  /** Children a routing rule gives every pubsub it creates (the config's `pubsub:` section is the usual way). */
  readonly children?: readonly string[];
}

export const pubsubSettingsSchema: JsonSchema = {
  type: 'object',
  description: 'settings of pubsub destinations made by a routing rule',
  properties: {
    children: {
      type: 'array',
      description: 'destinations every message sent to a pubsub made by this rule is copied to',
      items: { type: 'string', minLength: 1, description: 'a destination name' },
      uniqueItems: true,
    },
  },
  additionalProperties: false,
};

export class PubsubDestination implements ParentDestination {
  readonly type = 'pubsub';
  /**
   * Replaced, never mutated, on each change: a publish that is copying while a child is added or
   * removed (a child's consumer reacting synchronously) keeps the list it started with.
   */
  private childList: readonly string[];
  /** Ids of the messages this pubsub is copying right now: one coming back means a cycle. */
  private readonly copying = new Set<string>();
  private enqueued = 0;
  private delivered = 0;
  private dropped = 0;
  private closed = false;
  /** prepare() is running: meeting it again means the children lead back here. */
  private preparing = false;

  constructor(readonly name: string, private readonly ctx: QueueContext, children: readonly string[] = []) {
    for (const child of children) {
      if (child === name) throw cycle(name, child);
    }
    this.childList = Object.freeze([...new Set(children)]);
  }

  children(): readonly string[] {
    return this.childList;
  }

  addChild(child: string): void {
    if (child === this.name) throw cycle(this.name, child);
    if (this.childList.includes(child)) return;
    this.childList = Object.freeze([...this.childList, child]);
  }

  removeChild(child: string): boolean {
    if (!this.childList.includes(child)) return false;
    this.childList = Object.freeze(this.childList.filter((c) => c !== child));
    return true;
  }

  /**
   * Copies the message into every child. The copy is the same Message (same id, body bytes shared,
   * `destination` still this pubsub's name). Returns a promise only when some child's acceptance
   * waits (a durable queue).
   */
  publish(message: Message, _origin?: SessionInfo): void | Promise<void> {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `pubsub ${this.name} is closed`);
    // The MQM refuses cycles made through addChild; children given by a routing rule's settings
    // are not checked there, so a message that comes back round is refused here instead of
    // recursing forever.
    if (this.copying.has(message.id)) {
      throw new WharfError(ErrorCodes.CYCLE, `message ${message.id} came back to pubsub ${this.name} through its children`, {
        hint: `remove one of the children that leads back to ${this.name} (list them with /command/list)`,
        details: { pubsub: this.name },
      });
    }
    const children = this.childList;
    this.enqueued++;
    if (children.length === 0) {
      this.dropped++;
      return;
    }
    this.copying.add(message.id);
    let pending: Promise<void>[] | undefined;
    let failures: Array<{ child: string; err: unknown }> | undefined;
    try {
      for (const child of children) {
        try {
          const accepted = this.ctx.forward(child, message);
          this.delivered++;
          if (accepted !== undefined) (pending ??= []).push(accepted.catch((err: unknown) => { throw new ChildFailure(child, err); }));
        } catch (err) {
          (failures ??= []).push({ child, err });
        }
      }
    } finally {
      this.copying.delete(message.id);
    }
    if (failures !== undefined) {
      // The other children got their copy; the sender still learns that one was refused.
      if (pending !== undefined) void Promise.allSettled(pending);
      throw this.refused(failures[0]!.child, failures[0]!.err, failures.length);
    }
    if (pending === undefined) return;
    return Promise.all(pending).then(
      () => undefined,
      (err: unknown) => {
        const failure = err as ChildFailure;
        throw this.refused(failure.child, failure.cause, 1);
      },
    );
  }

  /**
   * A transaction's messages, checked before its commit applies anything (Destination.prepare):
   * every child must accept every copy (QueueContext.prepareForward; a missing transient child
   * would drop them, which is no refusal). A refusal names the child, keeping its `details.index`.
   */
  prepare(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `pubsub ${this.name} is closed`, { details: { index: 0 } });
    if (this.preparing) {
      // Children given by a routing rule's settings may lead back here (see publish).
      throw new WharfError(ErrorCodes.CYCLE, `the messages came back to pubsub ${this.name} through its children`, {
        hint: `remove one of the children that leads back to ${this.name} (list them with /command/list)`,
        details: { pubsub: this.name, index: 0 },
      });
    }
    this.preparing = true;
    try {
      for (const child of this.childList) this.prepareChild(child, messages);
    } finally {
      this.preparing = false;
    }
  }

  private prepareChild(child: string, messages: readonly Message[]): void {
    try {
      this.ctx.prepareForward(child, messages);
    } catch (err) {
      const refused = this.refused(child, err, 1);
      const index = err instanceof WharfError ? err.details['index'] : undefined;
      throw index === undefined ? refused : new WharfError(refused.code, refused.message, {
        cause: err, ...(refused.hint ? { hint: refused.hint } : {}), details: { ...refused.details, index },
      });
    }
  }

  /** Clients may not subscribe to a pubsub: they subscribe to one of its children. */
  attach(_consumer: Consumer): Subscription {
    const children = this.childList;
    const message = children.length > 0
      ? `clients may not subscribe to pubsub ${this.name}; subscribe to one of its children: ${children.join(', ')}`
      : `clients may not subscribe to pubsub ${this.name}; it has no children yet`;
    throw new WharfError(ErrorCodes.NOT_SUBSCRIBABLE, message, {
      hint: children.length > 0
        ? `subscribe to ${children[0]} (or another child) instead`
        : `add a child with /command/add-child (pubsub: ${this.name}, child: <queue>) and subscribe to that child`,
      details: { destination: this.name, children: [...children] },
    });
  }

  /** A pubsub holds nothing. */
  purge(): number {
    return 0;
  }

  stats(): DestinationStats {
    return { subscribers: 0, depth: 0, unacked: 0, enqueued: this.enqueued, delivered: this.delivered, dropped: this.dropped };
  }

  close(_reason: WharfError): void {
    this.closed = true;
  }

  private refused(child: string, err: unknown, count: number): WharfError {
    const reason = err instanceof Error ? err.message : String(err);
    const others = count > 1 ? ` (and ${count - 1} more)` : '';
    return new WharfError(err instanceof WharfError ? err.code : ErrorCodes.STORE,
      `pubsub ${this.name}: the copy to ${child} was refused${others}: ${reason}`, {
        cause: err,
        hint: err instanceof WharfError && err.hint ? err.hint : `the other children of ${this.name} received their copies`,
        details: { pubsub: this.name, child },
      });
  }
}

class ChildFailure extends Error {
  constructor(readonly child: string, override readonly cause: unknown) {
    super(`copy to ${child} failed`);
  }
}

function cycle(parent: string, child: string): WharfError {
  return new WharfError(ErrorCodes.CYCLE, `adding ${child} to ${parent} would make a cycle`, {
    hint: 'a pubsub may not be its own child',
    details: { parent, child },
  });
}

export const pubsubQueueType: QueueType = {
  type: 'pubsub',
  settingsSchema: pubsubSettingsSchema,
  create(name, settings, ctx) {
    const { children } = settings as PubsubSettings;
    return new PubsubDestination(name, ctx, children ?? []);
  },
};
