/**
 * What the command type reaches beyond its own destinations: the unchecked admin API, other
 * destinations by name, broker events. Core gives them only to types that declare the
 * capabilities (QueueType.capabilities), which commandQueueType does; read once per destination.
 */
import {
  ErrorCodes,
  WharfError,
  type AdminApi,
  type BrokerEvent,
  type Destination,
  type QueueCapability,
  type QueueContext,
} from '@wharf/core';

/** The capabilities commandQueueType declares. */
export const COMMAND_CAPABILITIES: readonly QueueCapability[] = Object.freeze(['admin', 'lookup', 'events'] as const);

export interface CommandPowers {
  readonly admin: AdminApi;
  lookup(name: string): Destination | undefined;
  onEvent(listener: (event: BrokerEvent) => void): () => void;
}

/** The context's admin, lookup and onEvent; a context without them (a core that did not grant them) is refused clearly. */
export function commandPowers(ctx: QueueContext): CommandPowers {
  const { admin, lookup, onEvent } = ctx;
  if (admin === undefined || lookup === undefined || onEvent === undefined) {
    const missing = [admin ? undefined : 'admin', lookup ? undefined : 'lookup', onEvent ? undefined : 'events'].filter(Boolean);
    throw new WharfError(ErrorCodes.PLUGIN_FAILED, `the command type needs the capabilities ${missing.join(', ')}, which core did not give ${ctx.name}`, {
      hint: `declare capabilities: [${COMMAND_CAPABILITIES.map((c) => `'${c}'`).join(', ')}] on the queue type (a core older than this plugin cannot grant them)`,
      details: { destination: ctx.name, missing },
    });
  }
  return { admin, lookup, onEvent };
}
