/**
 * A broker with the four first-party queue types, and a security plugin: users log in
 * by name; `admin` has every right, `user` every right but `admin`.
 */
import { definePlugin, type Broker, type Right } from '@wharf/core';
import pubsubPlugin from '@wharf/queue-pubsub';
import queuePlugin from '@wharf/queue-queue';
import topicPlugin from '@wharf/queue-topic';
import { connectClient, startTestBroker, type TestClient } from '@wharf/testkit';
import commandPlugin from '../../src/index.js';

const NOT_ADMIN: ReadonlySet<Right> = new Set(['create', 'read', 'write']);
const ADMIN: ReadonlySet<Right> = new Set(['create', 'read', 'write', 'admin']);

export const securityPlugin = definePlugin({ kind: 'security', name: 'test-security', core: '^0.1.0' }, (ctx) => {
  ctx.authenticator({
    name: 'by-login',
    authenticate: (credentials) => credentials.login
      ? { principal: { name: credentials.login, groups: credentials.login === 'admin' ? ['admins'] : [], anonymous: false } }
      : { rejected: true },
  });
  ctx.authorizer({
    name: 'admins-group',
    rights: (principal) => (principal.groups.includes('admins') ? ADMIN : NOT_ADMIN),
  });
});

export function startBroker(extra: Record<string, unknown> = {}): Promise<Broker> {
  return startTestBroker({ plugins: [topicPlugin, queuePlugin, pubsubPlugin, commandPlugin, securityPlugin] as never, ...extra });
}

export function connectAs(broker: Broker, login: 'admin' | 'user' | string): Promise<TestClient> {
  return connectClient(broker, { login, passcode: 'secret' });
}

/** A JSON command reply. */
export type Reply = { ok: boolean; command: string } & Record<string, unknown>;

/**
 * Sends commands as `client` with `reply-to: /queue/replies-<n>` and reads each reply by its
 * correlation-id from a subscription to that queue.
 */
export class CommandClient {
  private counter = 0;
  readonly replyTo: string;
  readonly replies;

  constructor(readonly client: TestClient, replyTo = `/queue/replies-${client.session.id}`) {
    this.replyTo = replyTo;
    this.replies = client.subscribe(replyTo).consumer;
  }

  async run(verb: string, headers: Record<string, string> = {}): Promise<Reply> {
    const id = `corr-${++this.counter}`;
    await this.client.send(`/command/${verb}`, '', { ...headers, 'reply-to': this.replyTo, 'correlation-id': id });
    const delivery = this.replies.deliveries.find((d) => d.message.headers['correlation-id'] === id);
    if (delivery === undefined) throw new Error(`no reply to ${verb} (${id})`);
    return JSON.parse(Buffer.from(delivery.message.body).toString('utf8')) as Reply;
  }
}
