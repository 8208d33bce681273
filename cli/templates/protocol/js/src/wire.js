/**
 * The wire format, shared by the server (connection.js) and the client (client.js): one command per
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

/** @param {string} text @returns {string} */
export function word(text) {
  return text === '' ? NONE : encodeURIComponent(text);
}

/** @param {string | undefined} text @returns {string} */
export function unword(text) {
  return text === undefined || text === NONE ? '' : decodeURIComponent(text);
}

/** @param {Readonly<Record<string, string>>} headers @returns {string} */
export function headersWord(headers) {
  const encoded = new URLSearchParams(headers).toString();
  return encoded === '' ? NONE : encoded;
}

/** @param {string | undefined} text @returns {Record<string, string>} */
export function unheaders(text) {
  return text === undefined || text === NONE ? {} : Object.fromEntries(new URLSearchParams(text));
}

/** @param {Uint8Array} body @returns {string} */
export function bodyWord(body) {
  return body.byteLength === 0 ? NONE : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64');
}

/** @param {string | undefined} text @returns {Buffer} */
export function unbody(text) {
  return text === undefined || text === NONE ? Buffer.alloc(0) : Buffer.from(text, 'base64');
}

/** Splits a byte stream into lines; a line longer than `maxBytes` (complete or not) is an error. */
export class LineSplitter {
  /** @type {Buffer} */
  #held = Buffer.alloc(0);

  /** @param {number} maxBytes @param {(line: string) => void} onLine */
  constructor(maxBytes, onLine) {
    this.maxBytes = maxBytes;
    this.onLine = onLine;
  }

  /** @param {Buffer} chunk */
  push(chunk) {
    let data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    let end;
    while ((end = data.indexOf(LF)) >= 0) {
      if (end > this.maxBytes) throw new RangeError(`a line is longer than ${this.maxBytes} bytes`);
      const line = data.subarray(0, end).toString('utf8');
      data = data.subarray(end + 1);
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (data.length > this.maxBytes) throw new RangeError(`a line is longer than ${this.maxBytes} bytes`);
    this.#held = data;
  }
}
