/**
 * The driver describeProtocolAdapter() speaks JSONL through: the package's own client, shaped to
 * the suite's TestProtocolClient. This is all an adapter author writes to run the suite.
 */
import type { ProtocolTestDriver, ProtocolTestMessage, TestProtocolClient } from '@wharf/testkit';
import { JsonlClient, type JsonlMessage } from '../src/client.js';

class JsonlTestClient implements TestProtocolClient {
  constructor(private readonly client: JsonlClient) {}

  get sessionId(): string {
    return this.client.session;
  }

  get closed(): Promise<void> {
    return this.client.closed;
  }

  subscribe: TestProtocolClient['subscribe'] = (destination, options) => this.client.subscribe(destination, options);
  unsubscribe = (id: string): Promise<void> => this.client.unsubscribe(id);
  send: TestProtocolClient['send'] = (destination, body, headers = {}, options = {}) =>
    this.client.send(destination, body, headers, { receipt: options.receipt === true });

  async nextMessage(timeoutMs: number): Promise<ProtocolTestMessage | undefined> {
    const message = await this.client.nextMessage(timeoutMs);
    return message && this.wrap(message);
  }

  async expectError(timeoutMs: number): Promise<string> {
    return (await this.client.expectError(timeoutMs)).message;
  }

  /** A line that is not JSON: the adapter answers with an error line and closes. */
  sendMalformed(): void {
    this.client.writeLine('{"op": "send", not json');
  }

  pause(): void {
    this.client.pause();
  }

  resume(): void {
    this.client.resume();
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private wrap(message: JsonlMessage): ProtocolTestMessage {
    const token = (): string => {
      if (message.ack === undefined) throw new Error('this message came from an auto-ack subscription');
      return message.ack;
    };
    return {
      destination: message.destination,
      messageId: message.id,
      body: message.body,
      headers: message.headers,
      redelivered: message.redelivered,
      ack: () => this.client.ack(token()),
      nack: () => this.client.nack(token()),
    };
  }
}

export const jsonlDriver: ProtocolTestDriver = {
  async connect(port, credentials) {
    return new JsonlTestClient(await JsonlClient.connect(port, credentials));
  },
};
