/**
 * Safe by default (docs/security.md): a broker reachable from other machines must not let anonymous
 * clients do anything unless the config says so knowingly. The check is generic — it asks the
 * security chain what a client presenting nothing from a remote address would get, and whether the
 * authorizers could give that principal any right — so third-party security plugins take part too.
 * When the plugins can say which of their settings let the client in and which rules grant it a
 * right (Authenticator.guestSetting, Authorizer.grantsTo), the refusal names them with their lines.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import { formatPath } from '../config/issues.js';
import type { SecurityGate } from '../mqm/security-gate.js';
import type { BrokerConfig, ConfigSource } from '../spi/config.js';
import type { Authenticator, Authorizer, ConnectionInfo, Principal, SettingRef } from '../spi/security.js';
import type { LoadedPlugin } from './loader.js';
import { isLoopback } from './transports.js';

/** Stands for "a client on another machine": an address from TEST-NET-3 (RFC 5737), no certificate. */
export const REMOTE_PROBE: ConnectionInfo = Object.freeze({
  id: 'wharf-safety-check',
  protocol: 'any',
  transport: 'tcp',
  remoteAddress: '203.0.113.1',
  secure: false,
});

/** What the check needs to name the settings at fault (all optional: without it, the error is generic). */
export interface SafetyContext {
  readonly authenticators: readonly Authenticator[];
  readonly authorizers: readonly Authorizer[];
  readonly plugins: readonly LoadedPlugin[];
  readonly source?: ConfigSource | undefined;
}

/**
 * @throws WharfError UNSAFE when a listener is not on loopback, security.allowAnonymousRemote is
 *   false, and a client without credentials would be let in with some right.
 */
export async function assertSafeExposure(config: BrokerConfig, security: SecurityGate, context?: SafetyContext): Promise<void> {
  if (config.security.allowAnonymousRemote) return;
  const exposed = config.listeners.filter((listener) => !isLoopback(listener.host));
  if (exposed.length === 0) return;
  const principal = await security.principalWithoutCredentials(REMOTE_PROBE);
  if (principal === undefined || !security.mayGrantAnything(principal)) return;
  const where = exposed.map((l) => `${l.protocol}+${l.transport} on ${l.host}:${l.port}`).join(', ');
  const cause = context ? explainCause(principal, context) : undefined;
  const groups = principal.groups.length > 0 ? ` (groups: ${principal.groups.join(', ')})` : '';
  throw new WharfError(ErrorCodes.UNSAFE,
    `refusing to start: ${where} is reachable from other machines, and clients without credentials ` +
    `would be let in as "${principal.name}"${groups} with rights${cause ? `:\n${cause.lines.map((l) => `  - ${l}`).join('\n')}` : ''}`, {
      hint: `${cause?.fix ?? 'either add users and rules (plugins @wharf/security-users and @wharf/security-acl; see docs/security.md)'}, ` +
        'or listen on 127.0.0.1 only, or, on a network closed to everyone else, set security.allowAnonymousRemote: true knowingly',
      details: { listeners: exposed.map((l) => `${l.host}:${l.port}`), principal: principal.name },
    });
}

/** The settings that let the anonymous client in and the rules that give it rights, and the fix that follows. */
function explainCause(principal: Principal, context: SafetyContext): { lines: string[]; fix: string } | undefined {
  const place = (ref: SettingRef): string => placeOf(ref, context);
  const lines: string[] = [];
  const fixes: string[] = [];
  if (context.authenticators.length === 0 && context.authorizers.length === 0) {
    return {
      lines: ['no security plugin is loaded, so every client is anonymous and has every right'],
      fix: 'either add users and rules (plugins @wharf/security-users and @wharf/security-acl; see docs/security.md)',
    };
  }
  if (context.authenticators.length === 0) {
    lines.push('no authenticator plugin is loaded, so every client is anonymous');
    fixes.push('add users (plugin @wharf/security-users; see docs/security.md) so that clients must log in');
  } else {
    const guest = context.authenticators.map((a) => a.guestSetting?.()).find((s) => s !== undefined);
    if (guest) {
      lines.push(`let in by ${place(guest)}: ${guest.text}`);
      fixes.push(`remove ${describeSetting(guest)} (${place(guest)}) so that clients must log in`);
    }
  }
  if (context.authorizers.length === 0) {
    lines.push('no authorizer plugin is loaded, so every client has every right');
    fixes.push('add rules (plugin @wharf/security-acl) that give anonymous clients nothing');
  } else {
    const grants = context.authorizers.flatMap((a) => a.grantsTo?.(principal) ?? []);
    for (const grant of grants) lines.push(`granted by ${place(grant)}: ${grant.text}`);
    if (grants.length > 0) {
      fixes.push(`change the rule${grants.length === 1 ? '' : 's'} above so that ${grants.length === 1 ? 'it names' : 'they name'} ` +
        `neither "${principal.name}", "*" nor the groups ${principal.groups.join(', ') || '(none)'} (or deny those rights)`);
    }
  }
  if (lines.length === 0) return undefined;
  return { lines, fix: `either ${fixes.join(', or ')}` };
}

/** `wharf.config.yaml:5 plugins[0].options.anonymous`, or the setting's own `where`. */
function placeOf(ref: SettingRef, context: SafetyContext): string {
  if (ref.where !== undefined || ref.path === undefined) return ref.where ?? `plugin ${ref.plugin}`;
  const plugin = context.plugins.find((p) => p.definition.name === ref.plugin);
  if (plugin === undefined) return `${formatPath(ref.path)} of plugin ${ref.plugin}`;
  const path = ['plugins', plugin.index, ...ref.path];
  const at = context.source?.locate?.(path);
  const file = context.source?.filepath;
  return `${file ? `${file}${at ? `:${at.line}` : ''} ` : ''}${formatPath(path)}`;
}

function describeSetting(ref: SettingRef): string {
  const key = ref.path?.at(-1);
  return typeof key === 'string' ? `the ${key} option of ${ref.plugin}` : `this setting of ${ref.plugin}`;
}
