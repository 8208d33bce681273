/**
 * The plugin kinds `wharf plugin new` scaffolds (each has cli/templates/<kind>/{shared,ts,js}), and
 * the name a new plugin registers under (a queue type's `type`, a protocol's name, a store's
 * `store.use` name, an authenticator's or authorizer's `name`). Authenticators and authorizers
 * declare core's one `security` kind in their definePlugin() call.
 */
export const SCAFFOLD_KINDS = ['queue-type', 'protocol', 'authenticator', 'authorizer', 'store'] as const;
export type ScaffoldKind = (typeof SCAFFOLD_KINDS)[number];

/**
 * The name the plugin registers: the package name without its scope and a leading `wharf-` and
 * kind word, so `@acme/wharf-queue-priority` registers the queue type `priority`.
 */
export function registeredName(packageName: string): string {
  const base = packageName.replace(/^@[^/]+\//, '').replace(/^wharf-/, '');
  const stripped = base.replace(/^(queue-type|queue|protocol|authenticator|authorizer|security|store)-/, '');
  return stripped.length > 0 ? stripped : base;
}
