/** The HTTP-lite client, shaped as describeProtocolAdapter()'s request/response driver: one fetch() per request. */
import type { PolledMessage, ProtocolTestCredentials, ProtocolTestRefusal, RequestResponseTestDriver } from '../../../../src/index.js';

const auth = (credentials: ProtocolTestCredentials): Record<string, string> =>
  credentials.login === undefined ? {} : { authorization: `Basic ${Buffer.from(`${credentials.login}:${credentials.passcode ?? ''}`).toString('base64')}` };

async function refusal(response: Response): Promise<ProtocolTestRefusal> {
  const { error } = await response.json() as { error: { code: string; message: string } };
  return Object.assign(new Error(error.message), { code: error.code });
}

export const httpLiteDriver: RequestResponseTestDriver = {
  async publish(port, credentials, destination, body, headers = {}) {
    const sent: Record<string, string> = { ...auth(credentials) };
    for (const [name, value] of Object.entries(headers)) sent[name === 'content-type' ? name : `x-msg-${name}`] = value;
    const response = await fetch(`http://127.0.0.1:${port}/publish${destination}`, { method: 'POST', headers: sent, body });
    if (!response.ok) throw await refusal(response);
    await response.arrayBuffer();
  },

  async poll(port, credentials, destination, { max, waitMs, signal }): Promise<PolledMessage[]> {
    const response = await fetch(`http://127.0.0.1:${port}/poll${destination}?max=${max}&wait=${waitMs}`, { headers: auth(credentials), ...(signal ? { signal } : {}) });
    if (!response.ok) throw await refusal(response);
    const { messages } = await response.json() as { messages: Array<{ destination: string; id: string; headers: Record<string, string>; body: string; redelivered: boolean }> };
    return messages.map((m) => ({ destination: m.destination, messageId: m.id, headers: m.headers, body: Buffer.from(m.body, 'base64'), redelivered: m.redelivered }));
  },

  async malformed(port, credentials): Promise<ProtocolTestRefusal> {
    const response = await fetch(`http://127.0.0.1:${port}/poll/queue/x?max=many`, { headers: auth(credentials) });
    if (response.ok) throw new Error('max=many was accepted');
    return refusal(response);
  },
};
