/**
 * connect {login?, passcode?} → connected {session, server}. The credentials go to the security
 * plugins through BrokerApi.connect; a refusal rejects with WharfError BAD_CREDENTIALS, which the
 * connection turns into an error line and a close like any other error.
 */
import type { OpHandler, Request } from './op.js';

interface ConnectRequest extends Request {
  readonly login?: string;
  readonly passcode?: string;
}

export const connectOp: OpHandler = {
  beforeConnect: true,
  fields: { login: { type: 'string' }, passcode: { type: 'string' } },
  async handle(connection, request): Promise<void> {
    const { login, passcode } = request as ConnectRequest;
    connection.beginAuthentication();
    const session = await connection.broker.connect(
      { login, passcode },
      connection.info,
      // How the broker closes this client (the disconnect command, shutdown): an error line, then the
      // close; and how it slows a publisher down (flow control): stop reading its socket for a while.
      {
        close: (reason) => connection.fail(reason),
        pauseReading: () => connection.pauseReading(),
        resumeReading: () => connection.resumeReading(),
      },
    );
    if (!connection.isOpen) {
      // The client went away while the security plugins were deciding.
      session.close('connection closed during connect');
      return;
    }
    connection.send({ op: 'connected', session: session.id, server: `wharf/${connection.broker.version}` });
    connection.connected(session);
  },
};
