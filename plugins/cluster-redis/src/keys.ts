/**
 * Every key the cluster writes, in one place; all start with `<prefix>:`.
 *
 * - `<prefix>:node:<id>`: a node's lease, a random token of the process holding it, PX = leaseMs.
 *   Its expiry is the node's death (issue 16: "node liveness by expiring keys").
 * - `<prefix>:nodes`: sorted set of node ids by the Redis time of their last refresh, so a node can
 *   list the others without SCAN or keyspace notifications (off by default in Redis).
 */
export class ClusterKeys {
  readonly nodes: string;
  readonly nodePrefix: string;

  constructor(readonly prefix: string) {
    this.nodes = `${prefix}:nodes`;
    this.nodePrefix = `${prefix}:node:`;
  }

  node(id: string): string {
    return this.nodePrefix + id;
  }
}
