/** The admin interface: what the command queue type and in-process code may do to the broker. */
import type { DestinationStats } from './queue.js';

export interface DestinationInfo {
  readonly name: string;
  readonly type: string;
  readonly subscribers: number;
  readonly depth: number;
  readonly children?: readonly string[];
}

export interface SessionSummary {
  readonly id: string;
  readonly user: string;
  readonly protocol: string;
  readonly remoteAddress: string;
}

/** Admin operations. No security checks here: the MQM's reference methods check `admin` first. */
export interface AdminApi {
  createDestination(name: string, type?: string): DestinationInfo;
  deleteDestination(name: string): boolean;
  purgeDestination(name: string): number;
  addChild(parent: string, child: string): void;
  removeChild(parent: string, child: string): boolean;
  listDestinations(): DestinationInfo[];
  destinationStats(name: string): DestinationStats & { readonly name: string; readonly type: string };
  listSessions(): SessionSummary[];
  /** Closes a client session by the id its CONNECTED frame gave it. */
  disconnectSession(id: string, reason?: string): boolean;
  /** Sends a broker-made message to a destination (command replies). */
  publish(destination: string, headers: Record<string, string>, body: Uint8Array): void | Promise<void>;
}

export type BrokerEvent =
  | { readonly type: 'destination.created'; readonly destination: string; readonly queueType: string }
  | { readonly type: 'destination.deleted'; readonly destination: string; readonly queueType: string }
  | { readonly type: 'child.added'; readonly pubsub: string; readonly child: string }
  | { readonly type: 'child.removed'; readonly pubsub: string; readonly child: string }
  | { readonly type: 'client.connected'; readonly session: string; readonly user: string; readonly protocol: string; readonly remoteAddress: string }
  | { readonly type: 'client.disconnected'; readonly session: string; readonly user: string; readonly reason?: string }
  | { readonly type: 'subscribed'; readonly session: string; readonly destination: string; readonly subscription: string }
  | { readonly type: 'unsubscribed'; readonly session: string; readonly destination: string; readonly subscription: string };
