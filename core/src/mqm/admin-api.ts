/**
 * The unchecked admin API (spi AdminApi): what in-process code, the command queue type (through
 * its `admin` capability) and the sessions' admin reference methods (after their `admin` check)
 * do to the broker. No security check here.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import type { AdminApi, DestinationInfo, SessionSummary } from '../spi/admin.js';
import type { DestinationStats } from '../spi/queue.js';
import type { DestinationTable } from './destinations.js';
import type { IdMinter } from './id-minter.js';
import type { PubsubGraph } from './pubsub-graph.js';
import type { SessionRegistry } from './session-registry.js';

export class UncheckedAdmin implements AdminApi {
  constructor(
    private readonly table: DestinationTable,
    private readonly graph: PubsubGraph,
    private readonly sessions: SessionRegistry,
    private readonly minter: IdMinter,
  ) {}

  createDestination(name: string, type?: string): DestinationInfo {
    const table = this.table;
    table.checkName(name);
    const existing = table.get(name);
    if (existing) {
      if (type !== undefined && existing.queueType.type !== type) {
        throw new WharfError(ErrorCodes.BAD_DESTINATION, `${name} exists already as a ${existing.queueType.type}, not a ${type}`, {
          hint: 'delete it first, or use another name',
        });
      }
      return table.info(existing);
    }
    return table.info(table.keep(table.materialize(name, type)));
  }

  deleteDestination(name: string): boolean {
    const entry = this.table.get(name);
    if (entry === undefined) return false;
    this.table.remove(entry, new WharfError(ErrorCodes.NOT_FOUND, `destination ${name} was deleted`));
    return true;
  }

  purgeDestination(name: string): number {
    return this.table.existing(name).destination.purge();
  }

  addChild(parent: string, child: string): void {
    this.graph.addChild(parent, child);
  }

  removeChild(parent: string, child: string): boolean {
    return this.graph.removeChild(parent, child);
  }

  listDestinations(): DestinationInfo[] {
    return [...this.table.values()].map((entry) => this.table.info(entry));
  }

  destinationStats(name: string): DestinationStats & { readonly name: string; readonly type: string } {
    const entry = this.table.existing(name);
    return { name, type: entry.queueType.type, ...entry.destination.stats() };
  }

  listSessions(): SessionSummary[] {
    return this.sessions.summaries();
  }

  disconnectSession(id: string, reason = 'disconnected by an administrator'): boolean {
    return this.sessions.disconnect(id, reason);
  }

  publish(destination: string, headers: Record<string, string>, body: Uint8Array): void | Promise<void> {
    return this.table.publishTo(destination, this.minter.createMessage(destination, headers, body, false));
  }
}
