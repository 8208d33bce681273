/**
 * The plugin's options, exactly as issue 16 names them (`url`, `prefix`, `nodeId`), plus `leaseMs`.
 * The schema is what core validates (and fills defaults from) before register() runs.
 */
import { NODE_ID_WIDTH, normalizeNodeId, type JsonSchema } from '@wharf/core';

export interface ClusterRedisOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`): every node with the same url and prefix is one cluster. */
  readonly url: string;
  /** Every key the cluster writes starts with `<prefix>:`, so several clusters can share one Redis. */
  readonly prefix: string;
  /** This node's id, 1 to 4 characters of [0-9a-z] (the node part of message ids). Default: generated. */
  readonly nodeId?: string;
  /** How long a node's lease lives without a refresh; a node silent that long is dead to the others. */
  readonly leaseMs: number;
}

export const DEFAULT_PREFIX = 'wharf';
export const DEFAULT_LEASE_MS = 10_000;

export const optionsSchema: JsonSchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: {
      type: 'string',
      pattern: '^rediss?://',
      description: 'the Redis 7 server of the cluster, redis://host:port (the same on every node)',
    },
    prefix: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]{1,64}$',
      default: DEFAULT_PREFIX,
      description: 'key prefix (letters, digits, _ . -), so several clusters can share one Redis',
    },
    nodeId: {
      type: 'string',
      pattern: `^[0-9a-z]{1,${NODE_ID_WIDTH}}$`,
      description: `this node's id, 1 to ${NODE_ID_WIDTH} characters of 0-9 and a-z, unique in the cluster (default: generated)`,
    },
    leaseMs: {
      type: 'integer',
      minimum: 300,
      maximum: 600_000,
      default: DEFAULT_LEASE_MS,
      description: 'how long a node stays alive to the others without refreshing its lease (ms); it refreshes every leaseMs/3',
    },
  },
};

/** A random node id of NODE_ID_WIDTH characters of [0-9a-z]. */
export function generateNodeId(): string {
  return Math.floor(Math.random() * 36 ** NODE_ID_WIDTH).toString(36).padStart(NODE_ID_WIDTH, '0');
}

/** The node id this broker uses: the configured one padded as core pads it (`7` is `0007`), else a generated one. */
export function resolveNodeId(options: ClusterRedisOptions): { id: string; generated: boolean } {
  return options.nodeId === undefined ? { id: generateNodeId(), generated: true } : { id: normalizeNodeId(options.nodeId), generated: false };
}

/** The url as logs show it: without its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
