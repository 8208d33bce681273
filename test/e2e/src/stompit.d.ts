// stompit ships no type declarations; the tests use it through this minimal surface.
declare module 'stompit' {
  import type { Readable, Writable } from 'node:stream';
  export interface ConnectOptions {
    host?: string; port?: number; localAddress?: string; ssl?: boolean; connectHeaders?: Record<string, string>; timeout?: number;
    ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string; rejectUnauthorized?: boolean; servername?: string;
  }
  export interface Message extends Readable {
    headers: Record<string, string>;
    readString(encoding: string, cb: (err: Error | null, body?: string) => void): void;
    ack(): void;
    nack(): void;
  }
  export interface Client {
    send(headers: Record<string, string | number>, options?: { onReceipt?: () => void }): Writable;
    subscribe(headers: Record<string, string>, cb: (err: Error | null, message: Message) => void): { unsubscribe(): void };
    /** The CONNECTED frame's headers, once connected. */
    headers: Record<string, string>;
    ack(message: Message, headers?: Record<string, string>, sendOptions?: { onReceipt?: () => void }, cb?: (err?: Error | null) => void): void;
    nack(message: Message, headers?: Record<string, string>, sendOptions?: { onReceipt?: () => void }, cb?: (err?: Error | null) => void): void;
    begin(headers?: Record<string, string>): { send(headers: Record<string, string>): Writable; commit(): void; abort(): void };
    disconnect(cb?: (err?: Error | null) => void): void;
    on(event: 'error', cb: (err: Error) => void): void;
    destroy(err?: Error): void;
  }
  export function connect(options: ConnectOptions, cb: (err: Error | null, client: Client) => void): Client;
  // stompit is CommonJS (`module.exports = { connect, ... }`) and Node cannot see its names from ESM:
  // import the default export.
  const stompit: { connect: typeof connect };
  export default stompit;
}
