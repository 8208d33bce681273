/**
 * Runs a plugin's conformance suites outside a test file (`wharf plugin check`): loads the plugins
 * as a broker does, finds what they register (queue types, stores, authenticators, authorizers,
 * protocols), and runs the kind's suite for each with the options of the plugin's conformance
 * profile, in a programmatic mocha run, reporting each check as it ends.
 *
 * NOTE for the merge: this is the CLI branch's minimal version, with the agreed signature; the
 * testkit branch's run-conformance.ts replaces it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Mocha from 'mocha';
import { Broker, Tokens, createLogger, type InjectionToken, type PluginEntry } from '@wharf/core';
import { describeAuthenticator, type AuthenticatorSuiteOptions } from './describe-authenticator.js';
import { describeAuthorizer, type AuthorizerSuiteOptions } from './describe-authorizer.js';
import { describeProtocolAdapter, type ProtocolAdapterSuiteOptions } from './describe-protocol-adapter.js';
import { describeQueueType, type QueueTypeSuiteOptions } from './describe-queue-type.js';
import { describeStore, type StoreSuiteOptions } from './describe-store.js';

/** Per kind, per registered name: the suite options a plugin's author gives (the rest has defaults). */
export interface ConformanceProfile {
  readonly queueTypes?: Readonly<Record<string, Partial<QueueTypeSuiteOptions>>>;
  readonly stores?: Readonly<Record<string, Partial<StoreSuiteOptions>>>;
  readonly authenticators?: Readonly<Record<string, Partial<AuthenticatorSuiteOptions>>>;
  readonly authorizers?: Readonly<Record<string, Partial<AuthorizerSuiteOptions>>>;
  readonly protocols?: Readonly<Record<string, Partial<ProtocolAdapterSuiteOptions>>>;
}

export interface CheckResult {
  /** The suite's title (`queue type conformance: priority`). */
  readonly suite: string;
  /** The check's title within it (nested blocks joined by ` › `). */
  readonly title: string;
  readonly passed: boolean;
  readonly error?: string;
  readonly durationMs: number;
}

export interface ConformanceRun {
  readonly results: readonly CheckResult[];
  readonly passed: number;
  readonly failed: number;
  /** What could not be checked, and why (`store memory: the profile gives no create(dir)`). */
  readonly unchecked: readonly string[];
}

export interface ConformanceOptions {
  readonly onResult?: (result: CheckResult) => void;
  readonly grep?: RegExp;
}

/** Routing that names no queue type, so any set of plugins makes a valid broker. */
const NO_ROUTES = { rules: [], prefixes: {}, fallback: 'reject' };
/** Per check; the suites set longer ones where they need them. */
const CHECK_TIMEOUT_MS = 20_000;

interface Planned { readonly register: () => void }

export async function runConformance(
  target: { plugins: readonly PluginEntry[]; configDir?: string },
  profile: ConformanceProfile = {},
  options: ConformanceOptions = {},
): Promise<ConformanceRun> {
  const found = await discover(target);
  const unchecked: string[] = [];
  const planned: Planned[] = [];
  const plugins = target.plugins;
  const configDir = target.configDir;

  for (const type of found.queueTypes) {
    const given = profile.queueTypes?.[type];
    if (given?.holdsMessages === undefined) {
      unchecked.push(`queue type ${type}: the conformance profile does not say holdsMessages (queueTypes.${type}.holdsMessages)`);
      continue;
    }
    const suite: QueueTypeSuiteOptions = { plugins, type, destination: (n) => `/conformance/${type}/${n}`, holdsMessages: given.holdsMessages, ...given };
    planned.push({ register: () => describeQueueType(type, suite) });
  }
  for (const name of found.stores) {
    const given = profile.stores?.[name];
    if (given?.create === undefined) {
      unchecked.push(`store ${name}: the conformance profile gives no create(dir) (stores.${name}.create)`);
      continue;
    }
    planned.push({ register: () => describeStore(name, given as StoreSuiteOptions) });
  }
  for (const name of found.authenticators) {
    const given = profile.authenticators?.[name];
    if (given?.create === undefined) {
      unchecked.push(`authenticator ${name}: the conformance profile gives no create(setup) (authenticators.${name}.create)`);
      continue;
    }
    planned.push({ register: () => describeAuthenticator(name, given as AuthenticatorSuiteOptions) });
  }
  for (const name of found.authorizers) {
    const given = profile.authorizers?.[name];
    if (given?.create === undefined) {
      unchecked.push(`authorizer ${name}: the conformance profile gives no create(grants) (authorizers.${name}.create)`);
      continue;
    }
    planned.push({ register: () => describeAuthorizer(name, given as AuthorizerSuiteOptions) });
  }
  for (const protocol of found.protocols) {
    const given = profile.protocols?.[protocol];
    if (given?.driver === undefined) {
      unchecked.push(`protocol ${protocol}: the conformance profile gives no driver (protocols.${protocol}.driver)`);
      continue;
    }
    const suite: ProtocolAdapterSuiteOptions = {
      plugins: [...plugins, '@wharf/queue-queue', '@wharf/queue-topic', '@wharf/queue-pubsub'], protocol, driver: given.driver,
      ...(configDir ? { configDir } : {}), ...given,
    };
    planned.push({ register: () => describeProtocolAdapter(protocol, suite) });
  }
  if (found.total === 0) unchecked.push('the plugins register nothing a conformance suite checks (no queue type, store, authenticator, authorizer or protocol)');

  const results = planned.length === 0 ? [] : await runSuites(planned, options);
  const passed = results.filter((r) => r.passed).length;
  return { results, passed, failed: results.length - passed, unchecked };
}

/** What the plugins register, by kind, read from a broker that loaded them (and was never started). */
async function discover(target: { plugins: readonly PluginEntry[]; configDir?: string }): Promise<{
  queueTypes: string[]; stores: string[]; authenticators: string[]; authorizers: string[]; protocols: string[]; total: number;
}> {
  const broker = await Broker.create({ plugins: [...target.plugins], routing: NO_ROUTES }, {
    logger: createLogger('silent'), ...(target.configDir ? { configDir: target.configDir } : {}),
  });
  const names = (token: InjectionToken<{ readonly name: string }>): string[] =>
    broker.container.isRegistered(token, true) ? broker.container.resolveAll(token).map((x) => x.name) : [];
  const found = {
    queueTypes: [...broker.queueTypes.types.keys()],
    stores: [...broker.stores.stores.keys()],
    authenticators: names(Tokens.Authenticator),
    authorizers: names(Tokens.Authorizer),
    protocols: [...broker.protocols.adapters.keys()],
  };
  return { ...found, total: Object.values(found).reduce((n, list) => n + list.length, 0) };
}

/** Registers the planned suites in a fresh mocha and runs them, reporting each test and failing hook. */
function runSuites(planned: readonly Planned[], options: ConformanceOptions): Promise<CheckResult[]> {
  const mocha = new Mocha({ timeout: CHECK_TIMEOUT_MS, reporter: Mocha.reporters.Base }); // prints nothing: results are collected below
  if (options.grep) mocha.grep(options.grep);
  // The suites call mocha's describe/it exports, which forward to the instance that emitted pre-require.
  mocha.suite.emit('pre-require', globalThis, 'wharf-conformance', mocha);
  for (const plan of planned) plan.register();
  const results: CheckResult[] = [];
  const record = (test: Mocha.Runnable, error?: Error): void => {
    const path = test.titlePath();
    const result: CheckResult = {
      suite: path[0] ?? '', title: path.slice(1).join(' › '), passed: error === undefined,
      ...(error ? { error: error.message.split('\n')[0] ?? error.message } : {}), durationMs: test.duration ?? 0,
    };
    results.push(result);
    options.onResult?.(result);
  };
  return new Promise((done) => {
    const runner = mocha.run(() => {
      mocha.dispose();
      done(results);
    });
    runner.on('pass', (test) => record(test));
    runner.on('fail', (test, err: Error) => record(test, err));
  });
}

/**
 * The conformance profile a package names in its package.json (`"wharf": { "conformance": "./dist/src/conformance.js" }`),
 * imported; undefined when it names none. Takes the package folder, its package.json, or the profile module itself.
 */
export async function loadConformanceProfile(pathOrPackageDir: string): Promise<ConformanceProfile | undefined> {
  const absolute = resolve(pathOrPackageDir);
  let modulePath = absolute;
  if (!/\.[cm]?js$/.test(absolute)) {
    const manifestPath = absolute.endsWith('package.json') ? absolute : join(absolute, 'package.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { wharf?: { conformance?: string } };
    const relative = manifest.wharf?.conformance;
    if (relative === undefined) return undefined;
    modulePath = resolve(dirname(manifestPath), relative);
  }
  const mod = (await import(pathToFileURL(modulePath).href)) as { default?: ConformanceProfile; profile?: ConformanceProfile };
  return mod.default ?? mod.profile;
}
