/**
 * The command verbs: each names its arguments (message headers) and runs through the admin API.
 * The MQM has already checked the sender's `admin` right on `/command/<verb>` before any of this.
 * A verb returns the fields of its JSON reply (`ok: true` is added by the caller).
 */
import {
  ErrorCodes,
  WharfError,
  isParentDestination,
  type AdminApi,
  type Destination,
  type SessionInfo,
} from '@wharf/core';

export interface VerbCall {
  readonly args: Readonly<Record<string, string>>;
  readonly admin: AdminApi;
  /** Other destinations by name (the type's `lookup` capability). */
  readonly lookup: (name: string) => Destination | undefined;
  /** The session that sent the command, when a client sent it. */
  readonly origin: SessionInfo | undefined;
}

export interface Verb {
  readonly name: string;
  /** Headers the command must carry. */
  readonly required: readonly string[];
  /** Headers the command may carry. */
  readonly optional: readonly string[];
  /** One line for the README and the BAD_COMMAND hint. */
  readonly summary: string;
  run(call: VerbCall): Record<string, unknown>;
}

/** The name of the verb that receives subscribers instead of commands. */
export const EVENTS = 'events';

export const VERBS: ReadonlyMap<string, Verb> = new Map<string, Verb>([
  verb('create-queue', ['name'], ['type'], 'creates a destination (of `type`, else as routing says)', ({ args, admin }) => ({
    destination: admin.createDestination(args.name!, args.type),
  })),
  verb('delete-queue', ['name'], [], 'deletes a destination; its subscribers are told why', ({ args, admin }) => {
    if (!admin.deleteDestination(args.name!)) throw notFound(args.name!);
    return { deleted: args.name };
  }),
  verb('empty-queue', ['name'], [], 'removes every message a destination holds', ({ args, admin }) => ({
    removed: admin.purgeDestination(args.name!),
  })),
  verb('add-child', ['pubsub', 'child'], [], 'adds a child to a pubsub (a cycle is refused)', ({ args, admin, lookup }) => {
    admin.addChild(args.pubsub!, args.child!);
    return { pubsub: args.pubsub, children: childrenOf(lookup, args.pubsub!) };
  }),
  verb('remove-child', ['pubsub', 'child'], [], 'removes a child from a pubsub', ({ args, admin, lookup }) => {
    const { pubsub, child } = args as { pubsub: string; child: string };
    const before = childrenOf(lookup, pubsub);
    if (!before.includes(child)) {
      throw new WharfError(ErrorCodes.NOT_FOUND, `${child} is not a child of ${pubsub}`, {
        hint: before.length > 0 ? `its children are: ${before.join(', ')}` : `${pubsub} has no children`,
        details: { pubsub, child },
      });
    }
    admin.removeChild(pubsub, child);
    return { pubsub, children: childrenOf(lookup, pubsub) };
  }),
  verb('list', [], [], 'every destination with its type, subscriber count, depth (and children)', ({ admin }) => ({
    destinations: admin.listDestinations(),
  })),
  verb('stats', ['name'], [], "one destination's counters", ({ args, admin }) => ({
    stats: admin.destinationStats(args.name!),
  })),
  verb('sessions', [], [], 'every connected client session (ids for disconnect)', ({ admin }) => ({
    sessions: admin.listSessions(),
  })),
  verb('disconnect', ['session'], [], 'closes a client session (the id from its CONNECTED `session` header)', ({ args, admin, origin }) => {
    const reason = origin ? `disconnected by ${origin.principal.name}` : 'disconnected by an administrator';
    if (!admin.disconnectSession(args.session!, reason)) {
      throw new WharfError(ErrorCodes.NOT_FOUND, `no session ${args.session}`, {
        hint: 'the ids of connected sessions are listed by /command/sessions',
        details: { session: args.session },
      });
    }
    return { disconnected: true, session: args.session };
  }),
].map((v) => [v.name, v]));

/** Reads a verb's arguments from the command's headers; a missing one is a BAD_COMMAND. */
export function argumentsOf(command: Verb, headers: Readonly<Record<string, string>>, destination: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const name of command.required) {
    const value = headers[name];
    if (value === undefined || value === '') {
      throw new WharfError(ErrorCodes.BAD_COMMAND, `command ${command.name} needs the header ${name}`, {
        hint: `send ${destination} with the headers ${usage(command)}`,
        details: { command: command.name, argument: name },
      });
    }
    args[name] = value;
  }
  for (const name of command.optional) {
    const value = headers[name];
    if (value !== undefined && value !== '') args[name] = value;
  }
  return args;
}

/** The BAD_COMMAND for a verb this type does not know. */
export function unknownVerb(verbName: string, destination: string): WharfError {
  return new WharfError(ErrorCodes.BAD_COMMAND, `unknown command ${JSON.stringify(verbName)} (${destination})`, {
    hint: `valid commands: ${[...VERBS.keys()].join(', ')}; subscribe to ${siblingOf(destination, EVENTS)} for events`,
    details: { command: verbName, valid: [...VERBS.keys()] },
  });
}

/** `/command/list` -> `/command/<verb>`: the same prefix, another verb. */
export function siblingOf(destination: string, verbName: string): string {
  return destination.slice(0, destination.lastIndexOf('/') + 1) + verbName;
}

/** The verb a destination name stands for: its last path segment. */
export function verbOf(destination: string): string {
  return destination.slice(destination.lastIndexOf('/') + 1);
}

function usage(command: Verb): string {
  const parts = [...command.required.map((a) => `${a}:<value>`), ...command.optional.map((a) => `[${a}:<value>]`)];
  return parts.length > 0 ? parts.join(' ') : '(none)';
}

function childrenOf(lookup: VerbCall['lookup'], pubsub: string): string[] {
  const destination = lookup(pubsub);
  if (destination === undefined) throw notFound(pubsub);
  if (!isParentDestination(destination)) {
    throw new WharfError(ErrorCodes.BAD_DESTINATION, `${pubsub} is a ${destination.type}, which has no children`, {
      hint: 'children can be added to and removed from pubsub destinations only',
      details: { pubsub },
    });
  }
  return [...destination.children()];
}

function notFound(name: string): WharfError {
  return new WharfError(ErrorCodes.NOT_FOUND, `no destination named ${name}`, {
    hint: 'list destinations with /command/list',
    details: { destination: name },
  });
}

function verb(
  name: string, required: readonly string[], optional: readonly string[], summary: string, run: Verb['run'],
): Verb {
  return { name, required, optional, summary, run };
}
