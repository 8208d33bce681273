/** The `topic` queue type: makes Topic destinations from a routing rule's settings. */
import type { Destination, JsonSchema, QueueContext, QueueType } from '@wharf/core';
import { readTopicSettings, topicSettingsSchema } from './settings.js';
import { Topic } from './topic.js';

export interface TopicQueueTypeOptions {
  /** The name routing uses; `topic` by default. */
  readonly type?: string;
}

export class TopicQueueType implements QueueType {
  readonly type: string;
  /** A send to a topic nobody subscribed to is dropped (by the MQM) instead of creating it. */
  readonly transient = true;
  readonly settingsSchema: JsonSchema = topicSettingsSchema;

  constructor(options: TopicQueueTypeOptions = {}) {
    this.type = options.type ?? 'topic';
  }

  create(name: string, settings: Record<string, unknown>, ctx: QueueContext): Destination {
    return new Topic(name, this.type, readTopicSettings(name, settings), ctx);
  }
}
