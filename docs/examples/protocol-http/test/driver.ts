/**
 * The driver describeProtocolAdapter()'s request/response profile speaks HTTP through: the
 * package's own client, one call per request. This is all an adapter author writes to run the suite.
 */
import type { PolledMessage, ProtocolTestCredentials, ProtocolTestRefusal, RequestResponseTestDriver } from '@wharf/testkit';
import { HttpBrokerClient, HttpBrokerError } from '../src/client.js';

const client = (port: number, credentials: ProtocolTestCredentials): HttpBrokerClient =>
  new HttpBrokerClient({ port, ...credentials });

export const httpDriver: RequestResponseTestDriver = {
  publish: (port, credentials, destination, body, headers) => client(port, credentials).publish(destination, body, headers ? { headers } : {}),

  async poll(port, credentials, destination, { max, waitMs, signal }): Promise<PolledMessage[]> {
    const messages = await client(port, credentials).poll(destination, { max, waitMs, ...(signal ? { signal } : {}) });
    return messages.map((m) => ({ destination: m.destination, messageId: m.id, body: m.body, headers: m.headers, redelivered: m.redelivered }));
  },

  /** A `max` that is not a number: 400, and the broker's PROTOCOL error. */
  async malformed(port, credentials): Promise<ProtocolTestRefusal> {
    const answer = await client(port, credentials).request('GET', '/poll/queue/x?max=many');
    if (answer.status !== 400) throw new Error(`expected 400 for max=many, got ${answer.status}`);
    const { error } = JSON.parse(answer.body.toString('utf8')) as { error: { code: string; message: string } };
    return new HttpBrokerError(error.message, answer.status, error.code);
  },
};
