/** A STOMP client for the interop test: @stomp/stompjs over TCP, with receipts and a message inbox. */
import { Client, type IMessage, type IStompSocket, type StompHeaders } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';

export class StompPeer {
  readonly inbox: IMessage[] = [];
  private receipts = 0;

  private constructor(readonly client: Client) {}

  static connect(port: number, login: string, passcode: string): Promise<StompPeer> {
    return new Promise((resolve, reject) => {
      const client = new Client({
        webSocketFactory: () => new TCPWrapper('127.0.0.1', port) as unknown as IStompSocket,
        connectHeaders: { login, passcode },
        reconnectDelay: 0, heartbeatIncoming: 0, heartbeatOutgoing: 0, debug: () => undefined,
        onConnect: () => resolve(peer),
        onStompError: (frame) => reject(new Error(frame.headers.message)),
        onWebSocketClose: () => reject(new Error('the STOMP connection closed before CONNECTED')),
      });
      const peer = new StompPeer(client);
      client.activate();
    });
  }

  /** Resolves once the broker sent the RECEIPT: the frame took effect. */
  private confirmed(send: (receipt: string) => void): Promise<void> {
    const receipt = `r${++this.receipts}`;
    const done = new Promise<void>((resolve) => this.client.watchForReceipt(receipt, () => resolve()));
    send(receipt);
    return done;
  }

  subscribe(destination: string): Promise<void> {
    return this.confirmed((receipt) => {
      this.client.subscribe(destination, (message) => this.inbox.push(message), { receipt });
    });
  }

  send(destination: string, body: Uint8Array, headers: StompHeaders = {}): Promise<void> {
    return this.confirmed((receipt) => this.client.publish({ destination, binaryBody: body, headers: { ...headers, receipt } }));
  }

  async nextMessage(timeoutMs = 5000): Promise<IMessage> {
    for (const deadline = Date.now() + timeoutMs; this.inbox.length === 0;) {
      if (Date.now() > deadline) throw new Error(`no STOMP message within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.inbox.shift()!;
  }

  close(): Promise<void> {
    return this.client.deactivate();
  }
}
