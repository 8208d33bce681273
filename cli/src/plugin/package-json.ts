/**
 * The package.json of a scaffolded plugin. In a Wharf checkout (this CLI run from the repo) the
 * devDependencies point at the checkout's own @wharf/core and @wharf/testkit (`file:` with absolute
 * paths), so `npm install && npm test` works with nothing published; the versions of typescript,
 * mocha and chai are the ones the repo uses. Installed from the registry, it names registry versions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_VERSION } from '@wharf/core';
import type { ScaffoldKind } from './kinds.js';

/** This CLI's package folder (cli/), from cli/dist/src/plugin/. */
export const CLI_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/** Used when the CLI runs outside a checkout (no root package.json to read them from). */
const FALLBACK_VERSIONS: Readonly<Record<string, string>> = {
  typescript: '^7.0.2', mocha: '^12.0.3', chai: '^6.3.0', '@types/node': '^20.19.0', '@types/mocha': '^10.0.10', '@types/chai': '^5.2.3',
};

interface Checkout {
  readonly root: string;
  readonly devDependencies: Readonly<Record<string, string>>;
}

/** The Wharf checkout this CLI belongs to, if it runs from one. */
export function wharfCheckout(): Checkout | undefined {
  const root = join(CLI_DIR, '..');
  const core = join(root, 'core', 'package.json');
  if (!existsSync(core) || !existsSync(join(root, 'test', 'testkit', 'package.json'))) return undefined;
  if ((JSON.parse(readFileSync(core, 'utf8')) as { name?: string }).name !== '@wharf/core') return undefined;
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  return { root, devDependencies: manifest.devDependencies ?? {} };
}

export interface PackageJsonInput {
  readonly name: string;
  readonly kind: ScaffoldKind;
  readonly description: string;
  readonly js: boolean;
}

export function packageJson(input: PackageJsonInput, checkout = wharfCheckout()): Record<string, unknown> {
  const coreRange = `^${CORE_VERSION}`;
  const version = (pkg: string): string => checkout?.devDependencies[pkg] ?? FALLBACK_VERSIONS[pkg] ?? 'latest';
  const wharf = (pkg: string, folder: string): string => (checkout ? `file:${join(checkout.root, folder)}` : coreRange);
  const entry = input.js ? './src/index.js' : './dist/src/index.js';
  const devDependencies: Record<string, string> = {
    '@wharf/core': wharf('@wharf/core', 'core'),
    '@wharf/testkit': wharf('@wharf/testkit', 'test/testkit'),
    chai: version('chai'),
    mocha: version('mocha'),
  };
  // describeProtocolAdapter runs the adapter against the first-party queue, topic and pubsub types.
  if (input.kind === 'protocol') {
    for (const q of ['queue', 'topic', 'pubsub']) devDependencies[`@wharf/queue-${q}`] = wharf(`@wharf/queue-${q}`, `plugins/queue-${q}`);
  }
  if (!input.js) {
    for (const pkg of ['typescript', '@types/node', '@types/mocha', '@types/chai']) devDependencies[pkg] = version(pkg);
  }
  return {
    name: input.name,
    version: '0.1.0',
    description: input.description,
    type: 'module',
    license: 'MIT',
    keywords: ['wharf', 'wharf-plugin', `wharf-${input.kind}`],
    main: entry,
    ...(input.js ? {} : { types: './dist/src/index.d.ts' }),
    exports: {
      '.': input.js ? entry : { types: './dist/src/index.d.ts', default: entry },
      './package.json': './package.json',
    },
    files: input.js ? ['src'] : ['dist/src', 'src'],
    engines: { node: '>=20.19' },
    scripts: input.js
      ? { test: 'mocha' }
      : { build: 'tsc -p .', prepare: 'tsc -p .', pretest: 'tsc -p .', test: 'mocha' },
    wharf: { conformance: input.js ? './src/conformance.js' : './dist/src/conformance.js' },
    peerDependencies: { '@wharf/core': coreRange },
    devDependencies: Object.fromEntries(Object.entries(devDependencies).sort(([a], [b]) => a.localeCompare(b))),
  };
}
