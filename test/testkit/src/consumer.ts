/** A Consumer that records what it is given, for tests of queue types and the MQM. */
import type { AckMode, Consumer, Delivery, SessionInfo, WharfError } from '@wharf/core';

export interface RecordingConsumerOptions {
  readonly id?: string;
  readonly ackMode?: AckMode;
  readonly prefetch?: number;
  /** After this many deliveries deliver() answers false (the consumer is "full"); default never. */
  readonly capacity?: number;
}

export class RecordingConsumer implements Consumer {
  readonly id: string;
  readonly ackMode: AckMode;
  readonly prefetch: number;
  readonly deliveries: Delivery[] = [];
  cancelled: WharfError | undefined;
  /** When set, deliver() answers false once `deliveries.length` reaches it. */
  capacity: number;

  constructor(readonly session: SessionInfo, options: RecordingConsumerOptions = {}) {
    this.id = options.id ?? `sub-${Math.random().toString(36).slice(2, 8)}`;
    this.ackMode = options.ackMode ?? 'auto';
    this.prefetch = options.prefetch ?? 0;
    this.capacity = options.capacity ?? Number.POSITIVE_INFINITY;
  }

  deliver(delivery: Delivery): boolean {
    this.deliveries.push(delivery);
    return this.deliveries.length < this.capacity;
  }

  cancel(reason: WharfError): void {
    this.cancelled = reason;
  }

  /** The bodies received, as text. */
  get bodies(): string[] {
    return this.deliveries.map((d) => Buffer.from(d.message.body).toString('utf8'));
  }

  get last(): Delivery | undefined {
    return this.deliveries[this.deliveries.length - 1];
  }
}
