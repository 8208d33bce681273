/**
 * What every group of queue-type checks shares: a fresh broker per check (optionally on a store
 * that can be made to fail, and restartable on it), clients, fresh destination names, and the
 * "still usable afterwards" check that runs after each passing check.
 */
import { afterEach, beforeEach } from 'mocha';
import { expect } from 'chai';
import type { Broker, Delivery } from '@wharf/core';
import type { QueueTypeSuiteOptions } from '../describe-queue-type.js';
import { FaultInjectingStore, InMemoryTestStore, storePluginFor } from '../fault-store.js';
import { connectClient, message, settle, startTestBroker, type TestClient } from '../harness.js';

export interface BrokerSetup {
  /** Run the broker on a store (the durability checks). */
  readonly durable?: boolean;
  /** Settings merged over the suite's `settings` for this group's destinations. */
  readonly settings?: Record<string, unknown>;
}

export interface QueueSuiteContext {
  readonly broker: Broker;
  /** The store of a durable group, whose writes can be made to fail. */
  readonly store: FaultInjectingStore;
  /** A destination name no earlier check used (prepared, when the suite's options say how). */
  fresh(): string;
  /** Where a message meant for `destination` is sent (the suite's `sendTo`). */
  target(destination: string): string;
  /** A connected client of the current broker (closed after the check). */
  client(): Promise<TestClient>;
  /** Sends each body in turn (persistent if asked), awaiting each send, then lets deliveries happen. */
  sendAll(c: TestClient, destination: string, bodies: readonly string[], persistent?: boolean): Promise<void>;
  /** Stops the broker (its clients close as on a shutdown) and starts a new one on the same store. */
  restart(): Promise<void>;
}

export const range = (from: number, to: number, prefix = 'm'): string[] =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

export const bodyOf = (d: Delivery): string => Buffer.from(d.message.body).toString('utf8');

/** Lets several turns of the event loop pass: group commits and their callbacks land. */
export async function settleLong(turns = 8): Promise<void> {
  for (let i = 0; i < turns; i++) await settle();
}

let nameCounter = 0;

/** Registers beforeEach/afterEach in the current describe block; returns the context they keep. */
export function useBroker(options: QueueTypeSuiteOptions, setup: BrokerSetup = {}): QueueSuiteContext {
  const settings = { ...options.settings, ...setup.settings };
  const routing = options.routing ?? { rules: [{ match: '^', type: options.type, options: settings }], prefixes: {}, fallback: 'reject' };
  let broker: Broker | undefined;
  let store: FaultInjectingStore | undefined;
  let clients: TestClient[] = [];

  const start = async (): Promise<Broker> => {
    const storeConfig = store ? { plugins: [...options.plugins, storePluginFor(store)], store: { use: store.name } } : { plugins: [...options.plugins] };
    return startTestBroker({ ...options.config, ...storeConfig, routing });
  };

  const context: QueueSuiteContext = {
    get broker(): Broker {
      if (broker === undefined) throw new Error('no broker: the check runs outside its describe block');
      return broker;
    },
    get store(): FaultInjectingStore {
      if (store === undefined) throw new Error('this group of checks runs without a store');
      return store;
    },
    fresh: () => {
      const name = options.destination(nameCounter++);
      options.prepare?.(context.broker.mqm, name);
      return name;
    },
    target: (destination) => options.sendTo?.(destination) ?? destination,
    client: async () => {
      const c = await connectClient(context.broker);
      clients.push(c);
      return c;
    },
    sendAll: async (c, destination, bodies, persistent = false) => {
      const target = context.target(destination);
      for (const body of bodies) await c.session.send(target, message(body, {}, persistent));
      await settleLong(persistent ? 8 : 1);
    },
    restart: async () => {
      await context.broker.stop();
      clients = [];
      broker = await start();
    },
  };

  beforeEach(async () => {
    store = setup.durable ? new FaultInjectingStore(options.store?.() ?? new InMemoryTestStore()) : undefined;
    clients = [];
    broker = await start();
  });

  afterEach(async function () {
    try {
      // The broker stays usable after every check: a fresh subscriber receives a fresh message.
      if (this.currentTest?.state === 'passed' && broker !== undefined) {
        store?.failWrites(false);
        const destination = context.fresh();
        const c = await context.client();
        const { consumer } = c.subscribe(destination, { id: 'usable' });
        await context.sendAll(c, destination, ['still-usable']);
        expect(consumer.bodies, 'the broker stays usable after the check').to.deep.equal(['still-usable']);
      }
    } finally {
      for (const c of clients) if (!c.session.closed) c.close();
      await broker?.stop();
      broker = undefined;
    }
  });

  return context;
}
