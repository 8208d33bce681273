/**
 * `wharf plugin new <kind> <name> [--dir DIR] [--js]`: writes a plugin package anywhere on disk,
 * from cli/templates/<kind>/: package.json (see plugin/package-json.ts), src/, a test that runs the
 * kind's conformance suite plus one example test of its own, a README with the options and a
 * config snippet, .gitignore, and tsconfig.json unless --js (plain ESM JavaScript with JSDoc types).
 * `cd DIR && npm install && npm test` passes at once. Exit 2: bad arguments, nothing written.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import validatePackageName from 'validate-npm-package-name';
import { CORE_VERSION } from '@wharf/core';
import { SCAFFOLD_KINDS, registeredName, type ScaffoldKind } from '../plugin/kinds.js';
import { CLI_DIR, packageJson, wharfCheckout } from '../plugin/package-json.js';
import { renderTree, type Placeholders } from '../plugin/render.js';

export interface PluginNewOptions {
  readonly dir?: string;
  readonly js?: boolean;
}

const TEMPLATES = join(CLI_DIR, 'templates');

const DESCRIPTIONS: Readonly<Record<ScaffoldKind, (name: string) => string>> = {
  'queue-type': (n) => `A Wharf queue type (${n}): a queue that redelivers what is not acknowledged`,
  protocol: (n) => `A Wharf protocol adapter (${n}): a small line protocol over TCP`,
  authenticator: (n) => `A Wharf authenticator (${n}): users and passwords from the plugin options`,
  authorizer: (n) => `A Wharf authorizer (${n}): rights by destination prefix`,
  store: (n) => `A Wharf durable store (${n}), kept in memory`,
};

export async function pluginNew(kind: string, name: string, options: PluginNewOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  if (!(SCAFFOLD_KINDS as readonly string[]).includes(kind)) {
    err(`error: unknown plugin kind "${kind}"\n  hint: choose one of ${SCAFFOLD_KINDS.join(', ')}`);
    return 2;
  }
  const valid = validatePackageName(name);
  if (!valid.validForNewPackages) {
    err(`error: "${name}" is not a valid npm package name: ${[...(valid.errors ?? []), ...(valid.warnings ?? [])].join('; ')}\n  hint: use lowercase letters, digits and dashes, e.g. wharf-queue-priority or @acme/wharf-queue-priority`);
    return 2;
  }
  const dir = resolve(process.cwd(), options.dir ?? name.replace(/^@[^/]+\//, ''));
  if (existsSync(dir) && (await readdir(dir)).length > 0) {
    err(`error: ${dir} exists and is not empty; nothing was written\n  hint: choose another folder with --dir, or remove that one first`);
    return 2;
  }
  const js = options.js === true;
  const values: Placeholders = { __PACKAGE__: name, __NAME__: registeredName(name), __CORE_RANGE__: `^${CORE_VERSION}` };
  await mkdir(dir, { recursive: true });
  const written = [
    ...await renderTree(join(TEMPLATES, 'common', 'all'), dir, values),
    ...(js ? [] : await renderTree(join(TEMPLATES, 'common', 'ts'), dir, values)),
    ...await renderTree(join(TEMPLATES, kind, 'shared'), dir, values),
    ...await renderTree(join(TEMPLATES, kind, js ? 'js' : 'ts'), dir, values),
  ];
  const manifest = packageJson({ name, kind: kind as ScaffoldKind, description: DESCRIPTIONS[kind as ScaffoldKind](values.__NAME__), js });
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const mocharc = { spec: js ? ['test/**/*.test.js'] : ['dist/test/**/*.test.js'], timeout: 20000, exit: true };
  await writeFile(join(dir, '.mocharc.json'), `${JSON.stringify(mocharc, null, 2)}\n`);
  written.push('package.json', '.mocharc.json');

  const unbuilt = unbuiltCheckoutPackages();
  if (unbuilt.length > 0) {
    err(`warning: ${unbuilt.join(' and ')} of this Wharf checkout ${unbuilt.length > 1 ? 'are' : 'is'} not built, and npm install copies the built files\n  hint: run npm run build in ${wharfCheckout()!.root} before npm install here`);
  }
  const shown = relative(process.cwd(), dir) || '.';
  out(`created ${kind} plugin ${name} (${js ? 'JavaScript' : 'TypeScript'}) in ${dir}, registering "${values.__NAME__}":`);
  for (const file of written.sort()) out(`  ${file}`);
  out('next:');
  out(`  cd ${shown} && npm install && npm test`);
  out(`  npx wharf plugin check ${shown}`);
  return 0;
}

/** The checkout's packages the new one installs from (`file:`) whose built entry is missing. */
function unbuiltCheckoutPackages(): string[] {
  const checkout = wharfCheckout();
  if (checkout === undefined) return [];
  return [['@wharf/core', 'core'], ['@wharf/testkit', 'test/testkit']]
    .filter(([, folder]) => !existsSync(join(checkout.root, folder!, 'dist', 'src', 'index.js')))
    .map(([name]) => name!);
}
