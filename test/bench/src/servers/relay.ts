/**
 * The bare relay: the reference every Wharf figure is a ratio to. A minimal Node STOMP relay with no
 * features — SEND bodies go to the destination's subscribers as MESSAGE frames: round-robin for
 * names under /queue/, to every subscriber otherwise. No acks, no storage, no flow control; a
 * `receipt` header is answered. Output is gathered per socket and written once per input chunk.
 * Usage: node relay.js [port]   (prints "listening <port>")
 */
import net from 'node:net';

interface Sub { socket: net.Socket; id: string }
const subs = new Map<string, { list: Sub[]; next: number }>();
let messageId = 0;

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending: Buffer | null = null;
  const mine: Array<{ destination: string; sub: Sub }> = [];
  socket.on('data', (chunk: Buffer) => {
    const buf: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    const out = new Map<net.Socket, Buffer[]>();
    const emit = (to: net.Socket, b: Buffer): void => { const l = out.get(to); if (l) l.push(b); else out.set(to, [b]); };
    let pos = 0;
    for (;;) {
      while (pos < buf.length && (buf[pos] === 10 || buf[pos] === 13)) pos++;
      const end = buf.indexOf('\n\n', pos);
      if (end < 0) break;
      const head = buf.toString('latin1', pos, end);
      const get = (name: string): string | undefined => {
        const at = head.indexOf('\n' + name + ':');
        if (at < 0) return undefined;
        const stop = head.indexOf('\n', at + 1);
        return head.slice(at + name.length + 2, stop < 0 ? head.length : stop);
      };
      const length = get('content-length');
      const bodyEnd = length === undefined ? buf.indexOf(0, end + 2) : end + 2 + Number(length);
      if (bodyEnd < 0 || bodyEnd >= buf.length) break;
      const firstLine = head.indexOf('\n');
      const command = firstLine < 0 ? head : head.slice(0, firstLine);
      const destination = get('destination') ?? '';
      if (command === 'CONNECT' || command === 'STOMP') emit(socket, Buffer.from('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'));
      else if (command === 'SUBSCRIBE') {
        const sub = { socket, id: get('id') ?? destination };
        const entry = subs.get(destination) ?? { list: [], next: 0 };
        entry.list.push(sub);
        subs.set(destination, entry);
        mine.push({ destination, sub });
      } else if (command === 'SEND') {
        const entry = subs.get(destination);
        const targets = !entry || entry.list.length === 0 ? [] : destination.startsWith('/queue/') ? [entry.list[entry.next++ % entry.list.length]!] : entry.list;
        for (const t of targets) {
          emit(t.socket, Buffer.from(`MESSAGE\nsubscription:${t.id}\nmessage-id:${++messageId}\ndestination:${destination}\ncontent-length:${bodyEnd - end - 2}\n\n`, 'latin1'));
          emit(t.socket, buf.subarray(end + 2, bodyEnd + 1));
        }
      } else if (command === 'DISCONNECT') socket.end();
      const receipt = get('receipt');
      if (receipt !== undefined) emit(socket, Buffer.from(`RECEIPT\nreceipt-id:${receipt}\n\n\0`));
      pos = bodyEnd + 1;
    }
    if (pos < buf.length) pending = buf.subarray(pos);
    for (const [to, list] of out) if (!to.destroyed) to.write(list.length === 1 ? list[0]! : Buffer.concat(list));
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    for (const { destination, sub } of mine) {
      const entry = subs.get(destination);
      if (entry) entry.list = entry.list.filter((s) => s !== sub);
    }
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
