/**
 * Password guessing is slowed down per address, and only for the guesser: 1,000 wrong passwords
 * sent from 127.0.0.1 over 50 parallel connections get only a handful of answers in a few seconds
 * (each failure from an address waits 50 ms · 2^(n−1), up to 5 s), while a client with the right
 * password — from the same address, on another connection — is answered at once: only failed
 * attempts wait, and password checks queue fairly per address and user, so the good client's
 * check does not wait behind the queued guesses (docs/security.md, "Throttling").
 *
 * No timing is asserted about the slowdown itself, only counts; the good client's bound is generous.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { expect } from 'chai';
import { STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { Tracker, frame, stompOverTcp } from './helpers.js';
import { PASSWORD, securityPlugins, writeSecurityFixture, type SecurityFixture } from './security-fixtures.js';

const ATTEMPTS = 1000;
const PARALLEL = 50;
const WINDOW_MS = 4000;

describe('e2e: throttling of failed logins', function () {
  this.timeout(30000);
  let fixture: SecurityFixture;
  let e2e: E2eBroker;
  const clients = new Tracker();
  const sockets = new Set<Socket>();

  before(async () => {
    fixture = await writeSecurityFixture();
    e2e = await startE2eBroker({
      plugins: [...STANDARD_PLUGINS, ...securityPlugins(fixture)], // default throttle
      // The guesser and the good client share 127.0.0.1 here (as behind one NAT): the address's budget of
      // connections waiting to log in (limits.connections, default 32) must hold all 50 guessers and the
      // good client, or the budget rather than the throttle would be what is tested. attack-lockout.test.ts
      // tests the budget.
      limits: { connections: { unauthenticatedPerAddress: PARALLEL + 10 } },
    });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await clients.closeAll();
    await e2e?.stop();
    await fixture?.remove();
  });

  /** One wrong-password CONNECT on a fresh connection; resolves true when the ERROR arrived. */
  function guess(n: number, stop: Promise<void>): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = netConnect(e2e.tcpPort, '127.0.0.1');
      sockets.add(socket);
      let text = '';
      const done = (answered: boolean): void => {
        sockets.delete(socket);
        socket.destroy();
        resolve(answered);
      };
      socket.on('connect', () => socket.write(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', login: 'reader', passcode: `guess-${n}` })));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\u0000')) done(text.startsWith('ERROR') && text.includes('message:bad credentials'));
      });
      socket.on('error', () => done(false));
      socket.on('close', () => done(false));
      void stop.then(() => done(false));
    });
  }

  it('answers far fewer than 1,000 guesses in a few seconds, while a good client still connects at once', async () => {
    let answered = 0;
    let started = 0;
    let endWindow!: () => void;
    const windowOver = new Promise<void>((resolve) => { endWindow = resolve; });
    let over = false;
    void windowOver.then(() => { over = true; });
    const attacker = async (): Promise<void> => {
      while (!over && started < ATTEMPTS) {
        if (await guess(started++, windowOver)) answered++;
      }
    };
    const attackers = Array.from({ length: PARALLEL }, attacker);

    // The good clients log in while the guesses are being held back.
    const goodLogins: number[] = [];
    for (const at of [1000, 2500]) {
      await new Promise((r) => setTimeout(r, at - (goodLogins.length ? 1000 : 0)));
      const start = Date.now();
      const good = await stompOverTcp(e2e.tcpPort, { connectHeaders: { login: 'carol', passcode: PASSWORD('carol') } }, clients);
      goodLogins.push(Date.now() - start);
      expect(good.connectedFrame.command).to.equal('CONNECTED');
    }
    setTimeout(endWindow, Math.max(0, WINDOW_MS - 2500));
    await Promise.all(attackers);

    console.log(`      ${answered} of ${started} guesses answered in ${WINDOW_MS} ms; good logins took ${goodLogins.join(' and ')} ms`);
    expect(answered, 'guesses answered within the window').to.be.below(100);
    expect(started, 'guesses sent').to.be.at.most(ATTEMPTS);
    // Generous: one scrypt check may be running ahead of it (fair-scheduler.ts), on a slow machine.
    for (const ms of goodLogins) expect(ms, 'a good login is answered promptly').to.be.below(3000);
  });
});
