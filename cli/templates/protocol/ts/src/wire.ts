/**
 * The wire format, shared by the server (connection.ts) and the client (client.ts): one command per
 * line, LF-terminated, its words separated by single spaces. A word that may hold any text (a
 * destination, a login, an error message) is percent-encoded; headers are one form-encoded word
 * (`a=1&b=x%20y`, or `-` for none); a body is one base64 word (or `-` for an empty one).
 *
 *   client → server: CONNECT <login> <passcode> | SUB <receipt> <id> <ack> <prefetch> <destination>
 *                    UNSUB <receipt> <id> | SEND <receipt> <destination> <headers> <body>
 *                    ACK <receipt> <token> | NACK <receipt> <token>      (receipt `-`: none wanted)
 *   server → client: CONNECTED <session> | OK <receipt> | ERR <message>  (then the server closes)
 *                    MSG <subscription> <token> <redelivered 0|1> <message-id> <destination> <headers> <body>
 */
const LF = 0x0a;
export const NONE = '-';

export function word(text: string): string {
  return text === '' ? NONE : encodeURIComponent(text);
}

export function unword(text: string | undefined): string {
  return text === undefined || text === NONE ? '' : decodeURIComponent(text);
}

export function headersWord(headers: Readonly<Record<string, string>>): string {
  const encoded = new URLSearchParams(headers).toString();
  return encoded === '' ? NONE : encoded;
}

export function unheaders(text: string | undefined): Record<string, string> {
  return text === undefined || text === NONE ? {} : Object.fromEntries(new URLSearchParams(text));
}

export function bodyWord(body: Uint8Array): string {
  return body.byteLength === 0 ? NONE : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
}

export function unbody(text: string | undefined): Buffer {
  return text === undefined || text === NONE ? Buffer.alloc(0) : Buffer.from(text, 'base64');
}

/** Splits a byte stream into lines; a line longer than `maxBytes` (complete or not) is an error. */
export class LineSplitter {
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number, private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    let end: number;
    while ((end = data.indexOf(LF)) >= 0) {
      if (end > this.maxBytes) throw new RangeError(`a line is longer than ${this.maxBytes} bytes`);
      const line = data.subarray(0, end).toString('utf8');
      data = data.subarray(end + 1);
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (data.length > this.maxBytes) throw new RangeError(`a line is longer than ${this.maxBytes} bytes`);
    this.held = data;
  }
}
