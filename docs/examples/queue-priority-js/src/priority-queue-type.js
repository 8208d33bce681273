// @ts-check
/** The `priority` queue type: what routing rules name, and the factory of its destinations. */
import { PriorityQueue } from './priority-queue.js';
import { prioritySettingsSchema, readPrioritySettings } from './settings.js';

/** @import { Destination, QueueContext, QueueType } from '@wharf/core' */

// #region queue-type
/** @implements {QueueType} */
export class PriorityQueueType {
  /** The name routing rules use: `{ match: "^/priority/", type: priority }`. */
  type = 'priority';
  /** Not transient: a queue holds messages, so a send to a new name creates it. */
  transient = false;
  /** A routing rule's `options` are checked against it when the broker starts. */
  settingsSchema = prioritySettingsSchema;
  // No `rights`: sending needs `write`, subscribing `read`, creating by first use `create`.

  /**
   * Called once per destination, the first time its name is used (or at start, from the store).
   * @param {string} name
   * @param {Record<string, unknown>} settings
   * @param {QueueContext} ctx
   * @returns {Destination}
   */
  create(name, settings, ctx) {
    return new PriorityQueue(name, readPrioritySettings(name, settings), ctx);
  }
}
// #endregion queue-type
