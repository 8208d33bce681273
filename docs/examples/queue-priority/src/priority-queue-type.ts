/** The `priority` queue type: what routing rules name, and the factory of its destinations. */
import type { Destination, QueueContext, QueueType } from '@wharf/core';
import { PriorityQueue } from './priority-queue.js';
import { prioritySettingsSchema, readPrioritySettings } from './settings.js';

// #region queue-type
export class PriorityQueueType implements QueueType {
  /** The name routing rules use: `{ match: "^/priority/", type: priority }`. */
  readonly type = 'priority';
  /** Not transient: a queue holds messages, so a send to a new name creates it. */
  readonly transient = false;
  /** A routing rule's `options` are checked against it when the broker starts. */
  readonly settingsSchema = prioritySettingsSchema;
  // No `rights`: sending needs `write`, subscribing `read`, creating by first use `create`.

  /** Called once per destination, the first time its name is used (or at start, from the store). */
  create(name: string, settings: Record<string, unknown>, ctx: QueueContext): Destination {
    return new PriorityQueue(name, readPrioritySettings(name, settings), ctx);
  }
}
// #endregion queue-type
