/**
 * Conformance profiles: what the suites need to know about a package's plugins that cannot be
 * found out by loading them (does a queue type hold messages? how are users added to an
 * authenticator?). A package names its profile in package.json:
 *
 *   "wharf": { "conformance": "./dist/src/conformance.js" }
 *
 * a module whose default export is a ConformanceProfile. runConformance() and `wharf plugin check`
 * use it; the package's own conformance tests can spread the same entries into the suites.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, WharfError } from '@wharf/core';
import type { AuthenticatorSuiteOptions } from './describe-authenticator.js';
import type { AuthorizerSuiteOptions } from './describe-authorizer.js';
import type { ProtocolAdapterSuiteOptions } from './describe-protocol-adapter.js';
import type { QueueTypeSuiteOptions } from './describe-queue-type.js';
import type { StoreSuiteOptions } from './describe-store.js';

/**
 * A queue type with nothing the queue suite can check: nobody subscribes to its destinations (a
 * command destination answers requests; a pubsub feeds its children). `wharf plugin check` says
 * "nothing to check for queue type <name>: <reason>" and counts it as no failure.
 */
export interface NothingToCheck {
  /** Why, in a few words: shown as it is. */
  readonly nothingToCheck: string;
}

/** Suite options per implementation, keyed by the name it registers (queue type, store, ... name). */
export interface ConformanceProfile {
  readonly queueTypes?: Readonly<Record<string, Partial<QueueTypeSuiteOptions> | NothingToCheck>>;
  readonly stores?: Readonly<Record<string, Partial<StoreSuiteOptions>>>;
  readonly authenticators?: Readonly<Record<string, Partial<AuthenticatorSuiteOptions>>>;
  readonly authorizers?: Readonly<Record<string, Partial<AuthorizerSuiteOptions>>>;
  readonly protocols?: Readonly<Record<string, Partial<ProtocolAdapterSuiteOptions>>>;
}

export const PROFILE_SECTIONS = ['queueTypes', 'stores', 'authenticators', 'authorizers', 'protocols'] as const;

function profileError(message: string, hint: string, details: Record<string, unknown>): WharfError {
  return new WharfError(ErrorCodes.CONFIG, message, { hint, details });
}

/**
 * Loads a conformance profile: from a package folder (its package.json's `wharf.conformance`,
 * relative to the folder; `{}` when the package names none) or from a module path.
 */
export async function loadConformanceProfile(pathOrPackageDir: string): Promise<ConformanceProfile> {
  const target = resolve(pathOrPackageDir);
  let file = target;
  if (existsSync(target) && statSync(target).isDirectory()) {
    const packageFile = join(target, 'package.json');
    if (!existsSync(packageFile)) return {};
    let manifest: { wharf?: { conformance?: unknown } };
    try {
      manifest = JSON.parse(readFileSync(packageFile, 'utf8')) as typeof manifest;
    } catch (err) {
      throw profileError(`${packageFile} is not valid JSON: ${(err as Error).message}`, 'fix the syntax of package.json', { file: packageFile });
    }
    const named = manifest.wharf?.conformance;
    if (named === undefined) return {};
    if (typeof named !== 'string' || named === '') {
      throw profileError(`${packageFile}: wharf.conformance must be a path to a module, not ${JSON.stringify(named)}`,
        'set "wharf": { "conformance": "./dist/src/conformance.js" } (a module whose default export is the profile)', { file: packageFile });
    }
    file = resolve(target, named);
  }
  if (!existsSync(file)) {
    throw profileError(`the conformance profile ${file} does not exist`,
      'build the package (its profile may be compiled from src/), or fix the path in package.json "wharf.conformance"', { file });
  }
  let loaded: { default?: unknown };
  try {
    loaded = await import(pathToFileURL(file).href) as { default?: unknown };
  } catch (err) {
    throw new WharfError(ErrorCodes.CONFIG, `the conformance profile ${file} failed to load: ${(err as Error).message}`, {
      hint: 'fix the error in the profile module (see the cause)', details: { file }, cause: err,
    });
  }
  return checkProfile(loaded.default, file);
}

/** The profile's shape: an object of known sections, each an object of objects. */
export function checkProfile(value: unknown, file: string): ConformanceProfile {
  const hint = 'export default { queueTypes: { <type>: { holdsMessages: true, ... } }, stores: { ... }, ... }';
  if (typeof value !== 'object' || value === null) {
    throw profileError(`the conformance profile ${file} has no default export object`, hint, { file });
  }
  for (const [section, entries] of Object.entries(value)) {
    if (!(PROFILE_SECTIONS as readonly string[]).includes(section)) {
      throw profileError(`the conformance profile ${file} has an unknown section ${section}`, `the sections are ${PROFILE_SECTIONS.join(', ')}`, { file, section });
    }
    if (typeof entries !== 'object' || entries === null) throw profileError(`the conformance profile ${file}: ${section} must be an object`, hint, { file, section });
    for (const [name, options] of Object.entries(entries as object)) {
      if (typeof options !== 'object' || options === null) {
        throw profileError(`the conformance profile ${file}: ${section}.${name} must be an object of suite options`, hint, { file, section, name });
      }
      const reason = (options as { nothingToCheck?: unknown }).nothingToCheck;
      if (reason !== undefined && (section !== 'queueTypes' || typeof reason !== 'string' || reason === '' || Object.keys(options).length > 1)) {
        throw profileError(`the conformance profile ${file}: ${section}.${name}.nothingToCheck must be a queue type's only entry, a reason in words`,
          `write { ${name}: { nothingToCheck: 'nobody subscribes to it: ...' } } in queueTypes, and nothing else for it`, { file, section, name });
      }
    }
  }
  return value as ConformanceProfile;
}
