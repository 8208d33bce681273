/**
 * @wharf/cluster-redis: cluster mode on Redis 7 (issue 16). This first part gives every node a
 * message-id node part unique in the cluster (core's Tokens.NodeId) and node liveness by expiring
 * keys; queues, pubsubs, topics and commands across nodes come next (docs/cluster.md).
 *
 *   plugins:
 *     - use: "@wharf/cluster-redis"
 *       options: { url: redis://127.0.0.1:6379 }   # prefix: wharf, nodeId: generated, leaseMs: 10000
 */
import { definePlugin, Tokens, type InjectionToken } from '@wharf/core';
import { ClusterNode } from './cluster-node.js';
import { optionsSchema, resolveNodeId, type ClusterRedisOptions } from './options.js';

export { ClusterNode, type ClusterNodeEvents, type NodeState } from './cluster-node.js';
export { ClusterKeys } from './keys.js';
export { DEFAULT_LEASE_MS, DEFAULT_PREFIX, type ClusterRedisOptions } from './options.js';

export const ClusterTokens = {
  /** This broker's ClusterNode (its lease, the live nodes, their events). */
  Node: Symbol.for('wharf.cluster-redis.Node') as InjectionToken<ClusterNode>,
} as const;

/** Longest a start waits for Redis before going on without it (logged). */
const START_WAIT_CAP_MS = 5000;

export default definePlugin<ClusterRedisOptions>(
  {
    kind: 'extension',
    name: 'cluster-redis',
    core: '^0.1.0',
    description: 'cluster mode on Redis 7: node ids unique in the cluster, node liveness by expiring keys',
    optionsSchema,
  },
  (ctx) => {
    const { id, generated } = resolveNodeId(ctx.options);
    const node = new ClusterNode({
      url: ctx.options.url,
      prefix: ctx.options.prefix,
      nodeId: id,
      generatedId: generated,
      leaseMs: ctx.options.leaseMs,
      logger: ctx.logger,
    });
    // Read by Broker.create for its IdMinter, after register(): every message id carries this node's id.
    ctx.provide(Tokens.NodeId, id);
    ctx.provide(ClusterTokens.Node, node);
    ctx.onStart(() => node.start(Math.min(ctx.options.leaseMs, START_WAIT_CAP_MS)));
    ctx.onStop(() => node.stop());
  },
);
