/**
 * One copy of `@wharf/core` in the process. A plugin written outside the broker's install may have
 * its own `@wharf/core` in its node_modules (installed for its tests and types, or a stale one);
 * if it imported that copy, its classes, errors and tokens would not be the broker's. Before the
 * loader imports a plugin it installs a resolver that maps `@wharf/core` — imported from anywhere —
 * to the broker's own copy:
 *
 * - `module.registerHooks` (Node >= 22.15): one synchronous resolve hook, for `import` and `require`;
 * - otherwise (Node 20.19+): `module.register` with one-core-hooks.ts for `import` (Node 20's hooks
 *   do not see `require`), plus a wrapper of the CommonJS resolver (`Module._resolveFilename`,
 *   as module-alias does) for `require`.
 *
 * docs/publishing-plugins.md explains what this means for plugin authors.
 */
import Module, { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { mapCoreSpecifier } from './one-core-hooks.js';

/** The broker's `@wharf/core`: its entry module and package.json, as file URLs. */
export const BROKER_CORE = {
  entry: new URL('../index.js', import.meta.url).href,
  packageJson: new URL('../../../package.json', import.meta.url).href,
} as const;

type ResolveHook = (specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) => unknown;
interface ModuleWithHooks { registerHooks?: (hooks: { resolve: ResolveHook }) => unknown }
interface CjsResolver { _resolveFilename: (request: string, ...rest: unknown[]) => string }

let installed = false;

/** Installs the resolver once per process; later calls do nothing. */
export function ensureOneCore(): void {
  if (installed) return;
  installed = true;
  const registerHooks = (Module as unknown as ModuleWithHooks).registerHooks;
  if (typeof registerHooks === 'function') {
    registerHooks({
      resolve: (specifier, context, next) => {
        const url = mapCoreSpecifier(specifier, BROKER_CORE);
        return url === undefined ? next(specifier, context) : { url, shortCircuit: true };
      },
    });
    return;
  }
  register(new URL('./one-core-hooks.js', import.meta.url), { data: BROKER_CORE });
  const cjs = Module as unknown as CjsResolver;
  const original = cjs._resolveFilename;
  const paths = { entry: fileURLToPath(BROKER_CORE.entry), packageJson: fileURLToPath(BROKER_CORE.packageJson) };
  cjs._resolveFilename = function resolveFilename(this: unknown, request: string, ...rest: unknown[]): string {
    return mapCoreSpecifier(request, paths) ?? original.call(this, request, ...rest);
  };
}
