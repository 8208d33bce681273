/**
 * @wharf/queue-command: the `command` queue type, the broker's admin interface as destinations.
 * Send `/command/<verb>` (arguments as headers) to act; subscribe to `/command/events` to watch.
 * Every command destination needs the `admin` right.
 */
import { definePlugin } from '@wharf/core';
import { commandQueueType } from './command.js';

export { CommandDestination, commandQueueType, commandSettingsSchema, type CommandSettings } from './command.js';
export { EventsDestination, DEFAULT_EVENT_BUFFER } from './events.js';
export { VERBS, EVENTS, type Verb, type VerbCall } from './verbs.js';

export default definePlugin(
  {
    kind: 'queue-type',
    name: 'queue-command',
    core: '^0.1.0',
    description: 'command: /command/<verb> runs admin commands, /command/events streams broker events (admin right)',
  },
  (ctx) => ctx.queueType(commandQueueType),
);
