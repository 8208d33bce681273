/**
 * Heart-beats as peers do them (STOMP 1.2 §Heart-beating), against a real broker with the default
 * STOMP options: the broker offers small floors (100,100), so @stomp/stompjs's own wishes decide.
 * Counts are asserted in generous windows, never exact times.
 */
import { expect } from 'chai';
import { startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame, stompOverTcp, unique, waitFor } from './helpers.js';

describe('e2e: heart-beats as peers do them (default offer)', function () {
  this.timeout(20000);
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => { e2e = await startE2eBroker(); });
  afterEach(() => clients.closeAll());
  after(() => e2e.stop());

  it('a stompjs client wanting a beat every 500 ms gets them, and its own check (twice the interval) never cuts it', async () => {
    let beats = 0;
    const c = await stompOverTcp(e2e.tcpPort, {
      heartbeatIncoming: 500, heartbeatOutgoing: 0, onHeartbeatReceived: () => { beats++; },
    }, clients);
    expect(c.connectedFrame.headers['heart-beat']).to.equal('100,100');
    const start = Date.now();
    await waitFor(() => Date.now() - start >= 3000, 5000, '3 s to pass');
    // About 6 in 3 s; with the old 10 s offer there would be none, and stompjs would have closed.
    expect(beats).to.be.within(3, 9);
    expect(c.closed).to.equal(false);
    const q = unique('/queue/beats');
    const sub = await c.subscribe(q);
    await c.publishConfirmed(q, 'alive');
    await sub.waitCount(1);
  });

  it('a stompjs client beating every 500 ms is kept; a client promising 500,0 that goes silent is closed with an ERROR', async () => {
    const beating = await stompOverTcp(e2e.tcpPort, { heartbeatIncoming: 0, heartbeatOutgoing: 500 }, clients);
    const raw = await RawConnection.open(e2e.tcpPort, clients);
    raw.write(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'heart-beat': '500,0' }));
    const connected = await raw.waitFrame('CONNECTED');
    expect(connected.headers['heart-beat']).to.equal('100,100');
    const start = Date.now();
    const error = await raw.waitFrame('ERROR', 8000);
    expect(error.headers['message']).to.contain('heartBeatGrace').and.contain('agreed every 500 ms');
    // 500 ms × the grace of 1.5 at the earliest; the old offer would have allowed 15 s.
    expect(Date.now() - start).to.be.at.least(700);
    await raw.waitClosed();
    expect(beating.closed).to.equal(false);
    expect(beating.errors).to.have.length(0);
  });
});
