/** Helpers for tests of durable stores (describeStore() and stores' own tests). */
import type { Message, Store, StoredMessage } from '@wharf/core';

/** A message for store tests; `n` makes the id and body unique. */
export function storeMessage(n: number | string, extra: Partial<Message> = {}): Message {
  const number = Number.parseInt(String(n), 10);
  return {
    id: `msg-${n}`,
    destination: '/queue/origin',
    headers: { 'content-type': 'text/plain', n: String(n) },
    body: Buffer.from(`body-${n}`),
    persistent: true,
    timestamp: 1_700_000_000_000 + (Number.isNaN(number) ? 0 : number),
    ...extra,
  };
}

/** Collects a replay into an array. */
export async function replayAll(store: Store, destination: string): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  for await (const stored of store.replay(destination)) all.push(stored);
  return all;
}

