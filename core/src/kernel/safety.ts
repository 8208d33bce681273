/**
 * Safe by default (docs/security.md): a broker reachable from other machines must not let anonymous
 * clients do anything unless the config says so knowingly. The check is generic — it asks the
 * security chain what a client presenting nothing from a remote address would get, and whether the
 * authorizers could give that principal any right — so third-party security plugins take part too.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import type { SecurityGate } from '../mqm/security-gate.js';
import type { BrokerConfig } from '../spi/config.js';
import type { ConnectionInfo } from '../spi/security.js';
import { isLoopback } from './transports.js';

/** Stands for "a client on another machine": an address from TEST-NET-3 (RFC 5737), no certificate. */
export const REMOTE_PROBE: ConnectionInfo = Object.freeze({
  id: 'wharf-safety-check',
  protocol: 'any',
  transport: 'tcp',
  remoteAddress: '203.0.113.1',
  secure: false,
});

/**
 * @throws WharfError UNSAFE when a listener is not on loopback, security.allowAnonymousRemote is
 *   false, and a client without credentials would be let in with some right.
 */
export async function assertSafeExposure(config: BrokerConfig, security: SecurityGate): Promise<void> {
  if (config.security.allowAnonymousRemote) return;
  const exposed = config.listeners.filter((listener) => !isLoopback(listener.host));
  if (exposed.length === 0) return;
  const principal = await security.principalWithoutCredentials(REMOTE_PROBE);
  if (principal === undefined || !security.mayGrantAnything(principal)) return;
  const where = exposed.map((l) => `${l.protocol}+${l.transport} on ${l.host}:${l.port}`).join(', ');
  throw new WharfError(ErrorCodes.UNSAFE,
    `refusing to start: ${where} is reachable from other machines, and clients without credentials ` +
    `would be let in as "${principal.name}" with rights`, {
      hint: 'either add users and rules (plugins @wharf/security-users and @wharf/security-acl; see docs/security.md), ' +
        'or listen on 127.0.0.1 only, or, on a network closed to everyone else, set security.allowAnonymousRemote: true knowingly',
      details: { listeners: exposed.map((l) => `${l.host}:${l.port}`), principal: principal.name },
    });
}
