/** The `queue` queue type: makes MessageQueue destinations from a routing rule's settings. */
import type { Destination, JsonSchema, QueueContext, QueueType } from '@wharf/core';
import { MessageQueue } from './queue.js';
import { queueSettingsSchema, readQueueSettings } from './settings.js';

export interface QueueQueueTypeOptions {
  /** The name routing uses; `queue` by default. */
  readonly type?: string;
}

export class QueueQueueType implements QueueType {
  readonly type: string;
  /** Queues hold messages, so a send creates one. */
  readonly transient = false;
  readonly settingsSchema: JsonSchema = queueSettingsSchema;

  constructor(options: QueueQueueTypeOptions = {}) {
    this.type = options.type ?? 'queue';
  }

  create(name: string, settings: Record<string, unknown>, ctx: QueueContext): Destination {
    return new MessageQueue(name, this.type, readQueueSettings(name, settings), ctx);
  }
}
