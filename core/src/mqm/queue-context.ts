/**
 * The QueueContext core hands each destination it creates. Every destination gets what concerns
 * itself (its name, logger, durable log, flow signal, release, forward, createMessage); the members
 * that reach beyond it (`admin`, `lookup`, `onEvent`) only when its type declares the capability
 * (QueueType.capabilities), so a faulty third-party type cannot delete or read other destinations.
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { AdminApi, BrokerEvent } from '../spi/admin.js';
import type { Message } from '../spi/message.js';
import type { FlowSignal, QueueContext, QueueType } from '../spi/queue.js';
import type { DestinationTable, HeldCounter } from './destinations.js';
import type { Durability } from './durability.js';
import type { EventBus } from './events.js';
import type { IdMinter } from './id-minter.js';
import type { PageDirectory } from './pager.js';

/** What the contexts are made of: the broker's services. */
export interface ContextServices {
  readonly table: DestinationTable;
  readonly logger: Logger;
  readonly minter: IdMinter;
  readonly events: EventBus;
  readonly admin: AdminApi;
  readonly durability: Durability | undefined;
  /** Paging to disk (with a store); undefined: destinations get no pager. */
  readonly pages: PageDirectory | undefined;
  /** QueueContext.flow.blocked, for one destination. */
  readonly setBlocked: (name: string, blocked: boolean) => void;
}

export function createQueueContext(services: ContextServices, name: string, queueType: QueueType, holding: HeldCounter): QueueContext {
  const { table, minter } = services;
  const capabilities = queueType.capabilities ?? [];
  let released = false;
  const durable = services.durability?.logFor(name, queueType.type);
  const flow: FlowSignal = {
    held: holding.add, // the broker's memory accounting: one addition on this destination's counter
    blocked: (blocked) => services.setBlocked(name, blocked),
  };
  const context: {
    -readonly [K in keyof QueueContext]: QueueContext[K];
  } = {
    name,
    logger: services.logger.child({ destination: name }),
    forward: (target: string, message: Message) => table.publishTo(target, message),
    prepareForward: (target: string, messages: readonly Message[]) => table.preparePublish(target, messages),
    release: () => {
      if (released) return;
      const entry = table.get(name);
      if (entry === undefined) return;
      released = true;
      table.remove(entry, new WharfError(ErrorCodes.NOT_FOUND, `destination ${name} was released`));
    },
    countDropped: (count = 1) => {
      table.dropped += count;
    },
    createMessage: (destination: string, headers: Record<string, string>, body: Uint8Array) => minter.createMessage(destination, headers, body, false),
    flow,
  };
  if (durable) context.durable = durable;
  if (services.pages) context.pager = services.pages.pagerFor(name);
  if (capabilities.includes('admin')) context.admin = services.admin;
  if (capabilities.includes('lookup')) context.lookup = (target: string) => table.lookup(target);
  if (capabilities.includes('events')) context.onEvent = (listener: (event: BrokerEvent) => void) => services.events.on(listener);
  return context;
}
