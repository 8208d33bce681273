/**
 * Module customization hooks (https://nodejs.org/api/module.html#customization-hooks) that send
 * every import of `@wharf/core` to the broker's own copy. Registered with `module.register` by
 * one-core.ts on Nodes without `module.registerHooks`; they run on Node's hooks thread, so this
 * file imports nothing of the broker.
 */
interface Data {
  /** `@wharf/core`'s entry file and package.json, as file URLs. */
  readonly entry: string;
  readonly packageJson: string;
}

type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;
interface ResolveContext { readonly parentURL?: string; readonly conditions?: readonly string[] }

let data: Data | undefined;

export function initialize(given: Data): void {
  data = given;
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<{ url: string; shortCircuit?: boolean }> {
  const mapped = data === undefined ? undefined : mapCoreSpecifier(specifier, data);
  return mapped === undefined ? next(specifier, context) : { url: mapped, shortCircuit: true };
}

/** The URL `@wharf/core` (or its `package.json`) must resolve to, or undefined for any other specifier. */
export function mapCoreSpecifier(specifier: string, core: Data): string | undefined {
  if (specifier === '@wharf/core') return core.entry;
  if (specifier === '@wharf/core/package.json') return core.packageJson;
  return undefined;
}
