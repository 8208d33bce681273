/**
 * The null server: proves the load generator's ceiling. It answers the first frame of a
 * connection (CONNECT) with CONNECTED and swallows everything after it; it never sends a message.
 * Usage: node null-server.js [port]   (prints "listening <port>")
 */
import net from 'node:net';

const server = net.createServer((socket) => {
  let connected = false;
  socket.on('data', (chunk: Buffer) => {
    if (!connected && chunk.includes(0)) {
      connected = true;
      socket.write('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
    }
  });
  socket.on('error', () => undefined);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
