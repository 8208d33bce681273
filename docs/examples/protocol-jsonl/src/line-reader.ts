/**
 * Splits a byte stream into lines (LF; a CR before it is JSON whitespace and harmless). Each byte
 * is scanned once; only a line that spans chunks is held and joined. The length limit is checked on
 * partial lines too, so a peer that never sends a newline cannot make the reader hold more than
 * one limit's worth. Imports nothing from core: the client uses it as well.
 */
const LF = 10;

export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`a line is longer than ${limit} bytes`);
  }
}

export class LineReader {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private stopped = false;

  constructor(private readonly maxLineBytes: number, private readonly onLine: (line: Buffer) => void) {}

  /** Calls `onLine` for each complete line in order. Throws LineTooLongError past the limit. */
  push(chunk: Buffer): void {
    let start = 0;
    while (!this.stopped) {
      const end = chunk.indexOf(LF, start);
      if (end < 0) break;
      let line = chunk.subarray(start, end);
      if (this.heldBytes > 0) {
        line = Buffer.concat([...this.held, line], this.heldBytes + line.length);
        this.held = [];
        this.heldBytes = 0;
      }
      if (line.length > this.maxLineBytes) throw this.fail();
      start = end + 1;
      this.onLine(line);
    }
    if (this.stopped || start >= chunk.length) return;
    const rest = chunk.subarray(start);
    this.heldBytes += rest.length;
    if (this.heldBytes > this.maxLineBytes) throw this.fail();
    this.held.push(rest);
  }

  /** No more lines: the connection is closing. */
  stop(): void {
    this.stopped = true;
    this.held = [];
    this.heldBytes = 0;
  }

  private fail(): LineTooLongError {
    this.stop();
    return new LineTooLongError(this.maxLineBytes);
  }
}
