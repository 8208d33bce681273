/**
 * The plugin kinds `wharf plugin new` scaffolds: the files of each (cli/templates/<kind>/ts|js),
 * the name it registers under (a queue type's `type`, a protocol's name, a store's `store.use`
 * name, an authenticator's or authorizer's `name`), and what its conformance profile says.
 */
export const SCAFFOLD_KINDS = ['queue-type', 'protocol', 'authenticator', 'authorizer', 'store'] as const;
export type ScaffoldKind = (typeof SCAFFOLD_KINDS)[number];

/** The `kind` the generated definePlugin() call declares (core has one `security` kind for both). */
export const PLUGIN_KIND: Readonly<Record<ScaffoldKind, string>> = {
  'queue-type': 'queue-type',
  protocol: 'protocol',
  authenticator: 'security',
  authorizer: 'security',
  store: 'store',
};

/**
 * The name the plugin registers: the package name without its scope and a leading `wharf-` and
 * kind word, so `@acme/wharf-queue-priority` registers the queue type `priority`.
 */
export function registeredName(packageName: string): string {
  const base = packageName.replace(/^@[^/]+\//, '').replace(/^wharf-/, '');
  const stripped = base.replace(/^(queue-type|queue|protocol|authenticator|authorizer|security|store)-/, '');
  return stripped.length > 0 ? stripped : base;
}
