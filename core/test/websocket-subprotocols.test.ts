import { expect } from 'chai';
import { subProtocolRefusal } from '../src/kernel/websocket.js';

describe('WebSocket sub-protocol negotiation (RFC 6455 §4.2.2)', () => {
  const STOMP = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

  it('refuses a list that names none of the sub-protocols the adapter speaks, saying which it accepts', () => {
    for (const asked of ['mqtt', 'mqtt, wamp', 'v13.stomp', 'stomp']) {
      const refusal = subProtocolRefusal('stomp', STOMP, asked);
      expect(refusal, asked).to.be.a('string');
      expect(refusal).to.include('v12.stomp, v11.stomp, v10.stomp');
    }
  });

  it('accepts a list with one of them anywhere in it, with or without spaces', () => {
    for (const asked of ['v12.stomp', 'mqtt,v10.stomp', 'mqtt , v11.stomp ,wamp']) {
      expect(subProtocolRefusal('stomp', STOMP, asked), asked).to.equal(undefined);
    }
  });

  it('accepts a client that offers no sub-protocol, and any list when the adapter declares none', () => {
    expect(subProtocolRefusal('stomp', STOMP, undefined)).to.equal(undefined);
    expect(subProtocolRefusal('stomp', STOMP, '')).to.equal(undefined);
    expect(subProtocolRefusal('jsonl', [], 'mqtt')).to.equal(undefined);
  });
});
