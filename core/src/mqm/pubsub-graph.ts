/**
 * The pubsub graph: which pubsub copies into which children. Children are added and removed here
 * (the config's `pubsub:` section, `/command/add-child`, restore), which refuses cycles before it
 * calls the pubsub, creates non-transient children so they keep every later copy, and records the
 * change in the store.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import type { BrokerEvent } from '../spi/admin.js';
import { isParentDestination } from '../spi/queue.js';
import type { DestinationTable } from './destinations.js';

export class PubsubGraph {
  constructor(
    private readonly table: DestinationTable,
    private readonly emit: (event: BrokerEvent) => void,
  ) {}

  addChild(parent: string, child: string): void {
    const table = this.table;
    table.checkName(child);
    if (parent === child || this.reaches(child, parent)) {
      throw new WharfError(ErrorCodes.CYCLE, `adding ${child} to ${parent} would make a cycle`, {
        hint: `${child} already leads back to ${parent}; a pubsub may not receive its own copies`,
        details: { parent, child },
      });
    }
    const entry = table.get(parent) ?? table.materialize(parent);
    const destination = entry.destination;
    if (!isParentDestination(destination)) {
      throw new WharfError(ErrorCodes.BAD_DESTINATION, `${parent} is a ${entry.queueType.type}, which has no children`, {
        hint: 'children can be added to pubsub destinations only',
      });
    }
    if (destination.children().includes(child)) return;
    // A child that holds messages exists from now on, so it keeps every later copy; a transient
    // child (a topic) comes into being with its first subscriber.
    if (!table.has(child) && !table.queueTypeFor(child).transient) table.materialize(child);
    destination.addChild(child);
    table.keep(entry);
    this.emit({ type: 'child.added', pubsub: parent, child });
  }

  removeChild(parent: string, child: string): boolean {
    const entry = this.table.existing(parent);
    const destination = entry.destination;
    if (!isParentDestination(destination)) return false;
    const removed = destination.removeChild(child);
    if (removed) {
      this.table.keep(entry);
      this.emit({ type: 'child.removed', pubsub: parent, child });
    }
    return removed;
  }

  /** Whether `from` (or anything below it) has `to` among its children. */
  private reaches(from: string, to: string, seen = new Set<string>()): boolean {
    if (seen.has(from)) return false;
    seen.add(from);
    const destination = this.table.lookup(from);
    if (destination === undefined || !isParentDestination(destination)) return false;
    for (const child of destination.children()) if (child === to || this.reaches(child, to, seen)) return true;
    return false;
  }
}
