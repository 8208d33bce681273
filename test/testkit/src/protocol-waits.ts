/**
 * Waiting helpers of the protocol-adapter suite: every wait has a deadline and names what it waited
 * for, so a broken adapter fails a test with a reason instead of hanging it.
 */
import { expect } from 'chai';
import type { ProtocolTestMessage, TestProtocolClient } from './protocol-driver.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const text = (m: ProtocolTestMessage): string => m.body.toString('utf8');

/** The error a promise rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal, but the operation succeeded');
}

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

export async function receive(client: TestProtocolClient, ms: number): Promise<ProtocolTestMessage> {
  const message = await client.nextMessage(ms);
  if (message === undefined) throw new Error(`expected a message within ${ms} ms`);
  return message;
}

export async function receiveAll(client: TestProtocolClient, count: number, ms: number): Promise<ProtocolTestMessage[]> {
  const out: ProtocolTestMessage[] = [];
  while (out.length < count) out.push(await receive(client, ms));
  return out;
}

/** Watches for `quietMs`: no message may arrive. */
export async function expectNothing(client: TestProtocolClient, quietMs: number, why: string): Promise<void> {
  const message = await client.nextMessage(quietMs);
  expect(message && text(message), why).to.equal(undefined);
}
