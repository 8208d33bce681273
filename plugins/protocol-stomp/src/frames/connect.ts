/**
 * CONNECT and STOMP (STOMP 1.2 §Connecting): version negotiation, credentials for the security
 * plugins, heart-beat negotiation, then CONNECTED.
 */
import { ErrorCodes, WharfError } from '@wharf/core';
import type { Frame, StompVersion } from '../codec/index.js';
import type { StompConnection } from '../connection.js';
import { limitError, protocolError } from '../errors.js';
import { header } from '../headers.js';
import { HeartBeat, negotiate, parseHeartBeat } from '../heartbeat.js';
import type { FrameHandler } from './handler.js';

export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.0', '1.1', '1.2'];

/** The highest version both sides speak; no `accept-version` means 1.0 (STOMP 1.2 §Protocol Negotiation). */
export function chooseVersion(acceptVersion: string | undefined): StompVersion | undefined {
  if (acceptVersion === undefined) return '1.0';
  const offered = new Set(acceptVersion.split(',').map((v) => v.trim()));
  for (let i = SUPPORTED_VERSIONS.length - 1; i >= 0; i--) if (offered.has(SUPPORTED_VERSIONS[i]!)) return SUPPORTED_VERSIONS[i];
  return undefined;
}

/**
 * Checks the CONNECT synchronously, so that a refusal is the answer to this frame even when the
 * client pipelined more frames behind it; then holds later frames until the session is open.
 */
function connect(connection: StompConnection, frame: Frame): Promise<void> {
  const version = chooseVersion(header(frame, 'accept-version'));
  if (version === undefined) {
    // STOMP 1.2 §Protocol Negotiation: the ERROR lists the versions the server supports.
    throw new WharfError(ErrorCodes.PROTOCOL, `Supported protocol versions are ${SUPPORTED_VERSIONS.join(',')}`, {
      hint: 'offer one of them in accept-version',
      details: { versions: SUPPORTED_VERSIONS.join(',') },
    });
  }
  // STOMP 1.2 §Heart-beating: 1.0 has none.
  const clientBeat = version === '1.0' ? [0, 0] as [number, number] : parseHeartBeat(header(frame, 'heart-beat'));
  if (clientBeat === undefined) {
    throw protocolError(`invalid heart-beat header ${JSON.stringify(header(frame, 'heart-beat'))}`, 'write two numbers of milliseconds: heart-beat:10000,10000');
  }
  // Frames pipelined behind CONNECT are already in the version chosen here (escaping, commands).
  connection.beginAuthentication(version, clientBeat[0]);
  return openSession(connection, frame, version, clientBeat);
}

async function openSession(connection: StompConnection, frame: Frame, version: StompVersion, clientBeat: [number, number]): Promise<void> {
  const session = await connection.broker.connect(
    { login: header(frame, 'login'), passcode: header(frame, 'passcode') },
    connection.info,
    {
      close: (reason) => connection.fail(reason),
      pauseReading: () => connection.pauseReading(),
      resumeReading: () => connection.resumeReading(),
    },
  );
  if (!connection.isOpen) {
    session.close('connection closed during CONNECT');
    return;
  }
  const options = connection.options;
  const serverBeat = version === '1.0' ? [0, 0] as const : options.heartBeat;
  const plan = negotiate(clientBeat, serverBeat);
  connection.sendFrame('CONNECTED', [
    ['version', version],
    ['session', session.id],
    ['server', `wharf/${connection.broker.version}`],
    ['heart-beat', `${serverBeat[0]},${serverBeat[1]}`],
  ]);
  const heartBeat = new HeartBeat(plan, options.heartBeatGrace, () => connection.sendHeartBeat(), (silentMs) => {
    connection.fail(limitError('heartBeatGrace',
      `no heart-beat or frame from the client for ${silentMs} ms (agreed every ${plan.expectEvery} ms)`));
  });
  connection.connected(session, heartBeat);
}

export const connectHandler: FrameHandler = { beforeConnect: true, sendsOwnReceipt: true, handle: connect };
