/**
 * Runs the conformance suites against plugins from code (`wharf plugin check` does): loads the
 * target's plugins as the broker does, finds what they register, builds each suite's options from
 * the profile plus defaults, and runs the suites with mocha's programmatic API.
 *
 *   const run = await runConformance({ plugins: ['./my-queue-type'] }, await loadConformanceProfile('./my-queue-type'));
 *   // run.results: one CheckResult per check; run.unchecked: what could not be checked, and why
 *
 * It runs in the calling process, also from inside a mocha test (the testkit's own tests do): the
 * suites register into a mocha instance of their own through a private interface object (not the
 * global `describe`/`it`), the outer run's interface is put back afterwards, and while the inner
 * run goes on the process's uncaught-error listeners (the outer runner's) are set aside, so an
 * error thrown by a broken plugin fails the inner check, not the outer test. Runs are serialized.
 */
import Mocha from 'mocha';
import { loadPlugins, type PluginEntry } from '@wharf/core';
import { checkProfile, type ConformanceProfile } from './conformance-profile.js';
import { discover, entryOf, labelOf, Loads, type Found } from './conformance-targets.js';
import { describeAuthenticator } from './describe-authenticator.js';
import { describeAuthorizer } from './describe-authorizer.js';
import { describeProtocolAdapter, type ProtocolAdapterSuiteOptions } from './describe-protocol-adapter.js';
import { describeQueueType } from './describe-queue-type.js';
import { describeStore } from './describe-store.js';

export { loadConformanceProfile, type ConformanceProfile, type NothingToCheck } from './conformance-profile.js';

export interface CheckResult {
  /** The suite, e.g. `queue type conformance: queue`. */
  readonly suite: string;
  /** The check within it (groups joined by ` › `); a failed hook is named as mocha names it. */
  readonly title: string;
  readonly passed: boolean;
  /** Why it failed. */
  readonly error?: string;
  readonly durationMs: number;
}

export interface ConformanceRun {
  readonly results: readonly CheckResult[];
  readonly passed: number;
  readonly failed: number;
  /** What was not checked, each with the reason (a missing profile entry, a plugin that cannot be loaded alone, ...): a gap. */
  readonly unchecked: readonly string[];
  /**
   * What has nothing a suite can check, as its profile says (`nothingToCheck`: a queue type nobody
   * subscribes to, such as command or pubsub), each `<what> <name>: <the profile's reason>`. Not a gap.
   */
  readonly nothingToCheck: readonly string[];
}

export interface RunOptions {
  /** Called as each check ends (to print one line per check). */
  readonly onResult?: (result: CheckResult) => void;
  /** Runs only the checks whose full title (suite, groups, check) matches. */
  readonly grep?: RegExp;
}

/** The queue types the protocol suite talks to, loaded by package name when the target has none of that name. */
const PROTOCOL_SUITE_QUEUE_TYPES: Readonly<Record<string, string>> = {
  queue: '@wharf/queue-queue', topic: '@wharf/queue-topic', pubsub: '@wharf/queue-pubsub',
};

let running: Promise<unknown> = Promise.resolve();

/** Runs every suite that applies to the target's plugins. Rejects when a plugin cannot be loaded or the profile is malformed. */
export function runConformance(
  target: { readonly plugins: readonly PluginEntry[]; readonly configDir?: string },
  profile: ConformanceProfile = {},
  options: RunOptions = {},
): Promise<ConformanceRun> {
  const run = running.then(() => runNow(target, checkProfile(profile, '(given to runConformance)'), options));
  // The next run waits for this one, whether it succeeds or not.
  running = run.catch(() => undefined);
  return run;
}

async function runNow(target: { readonly plugins: readonly PluginEntry[]; readonly configDir?: string }, profile: ConformanceProfile, options: RunOptions): Promise<ConformanceRun> {
  const configDir = target.configDir ?? process.cwd();
  const loaded = await loadPlugins(target.plugins, configDir);
  const { found, unchecked, nothingToCheck: extensions } = await discover(loaded, configDir, profile);
  for (const section of Object.keys(profile) as Array<keyof ConformanceProfile>) {
    for (const name of Object.keys(profile[section] ?? {})) {
      if (!found.some((f) => f.section === section && f.name === name)) unchecked.push(`${labelOf(section, name)} is in the profile (${section}.${name}), but no plugin of the target registers it`);
    }
  }

  const results: CheckResult[] = [];
  const nothingToCheck: string[] = [...extensions];
  const loads = new Loads(configDir);
  const Base = Mocha.reporters.Base as unknown as { hideDiff: boolean; inlineDiffs: boolean };
  const mocha = new Mocha({
    reporter: collector(results, options.onResult) as never,
    timeout: 20_000,
    // mocha.run() writes these onto the shared Base reporter: keep the outer run's.
    diff: !Base.hideDiff,
    inlineDiffs: Base.inlineDiffs,
    ...(options.grep ? { grep: options.grep } : {}),
  });
  registerSuites(mocha, () => {
    for (const f of found) {
      try {
        register(f, profile, loads, found, { unchecked, nothingToCheck }, configDir);
      } catch (err) {
        unchecked.push(`${labelOf(f.section, f.name)} (plugin ${f.plugin.definition.name}): ${(err as Error).message}`);
      }
    }
  });
  try {
    await runIsolated(mocha);
  } finally {
    await loads.stopAll();
  }
  const passed = results.filter((r) => r.passed).length;
  return { results, passed, failed: results.length - passed, unchecked, nothingToCheck };
}

/**
 * Registers one implementation's suite; or says in `notes.unchecked` what its profile lacks, or in
 * `notes.nothingToCheck` why its profile says there is nothing to check.
 */
function register(f: Found, profile: ConformanceProfile, loads: Loads, found: readonly Found[],
  notes: { unchecked: string[]; nothingToCheck: string[] }, configDir: string): void {
  const { name, plugin } = f;
  const entry = entryOf(plugin);
  const missing = (what: string): void => {
    notes.unchecked.push(`${labelOf(f.section, name)} (plugin ${plugin.definition.name}): the conformance profile does not give ${what}`);
  };
  switch (f.section) {
    case 'queueTypes': {
      const p = profile.queueTypes?.[name] ?? {};
      if ('nothingToCheck' in p) {
        notes.nothingToCheck.push(`${labelOf(f.section, name)}: ${p.nothingToCheck}`);
        return;
      }
      if (p.holdsMessages === undefined) return missing('holdsMessages (whether messages sent before anyone subscribed are kept for the first subscriber)');
      describeQueueType(name, {
        destination: (n) => `/conformance/${name}/${n}`,
        ...p,
        holdsMessages: p.holdsMessages,
        type: name,
        plugins: [entry, ...(p.plugins ?? [])],
      });
      return;
    }
    case 'stores': {
      const p = profile.stores?.[name] ?? {};
      if (p.create === undefined) return missing('create(dir, { load }) (how to make a store kept in a folder)');
      describeStore(name, { ...p, create: p.create }, { load: loads.store(plugin, name) });
      return;
    }
    case 'authenticators': {
      const p = profile.authenticators?.[name] ?? {};
      if (p.create === undefined) return missing('create({ load, anonymousGroups }) (how to add the users the suite logs in as)');
      describeAuthenticator(name, { ...p, create: p.create }, { load: loads.authenticator(plugin, name) });
      return;
    }
    case 'authorizers': {
      const p = profile.authorizers?.[name] ?? {};
      if (p.create === undefined) return missing('create(grants, { load }) (how to turn the suite\'s grants into rules)');
      describeAuthorizer(name, { ...p, create: p.create }, { load: loads.authorizer(plugin, name) });
      return;
    }
    case 'protocols': {
      const p = profile.protocols?.[name] ?? {};
      if (p.driver === undefined) return missing('driver (a client of the protocol for the suite: see protocol-driver.ts)');
      const queueTypes = Object.entries(PROTOCOL_SUITE_QUEUE_TYPES)
        .filter(([type]) => !found.some((other) => other.section === 'queueTypes' && other.name === type))
        .map(([, pkg]) => pkg);
      describeProtocolAdapter(name, {
        configDir,
        ...p,
        protocol: name,
        plugins: [entry, ...queueTypes, ...(p.plugins ?? [])],
      } as ProtocolAdapterSuiteOptions);
      return;
    }
  }
}

/** The names mocha's BDD interface defines. */
const INTERFACE_NAMES = ['before', 'after', 'beforeEach', 'afterEach', 'describe', 'xdescribe', 'context', 'xcontext',
  'it', 'xit', 'specify', 'xspecify', 'run'] as const;

/**
 * Lets `define` call the suites (which import describe/it from 'mocha') against this mocha
 * instance, through a private interface object instead of globalThis; afterwards that object
 * forwards to the global interface of the outer run again (if any), so an outer mocha that
 * registers more later is not sent here.
 */
function registerSuites(mocha: Mocha, define: () => void): void {
  const ui: Record<string, unknown> = {};
  const globals = globalThis as Record<string, unknown>;
  const outer = Object.fromEntries(INTERFACE_NAMES.map((k) => [k, globals[k]]));
  mocha.suite.emit('pre-require', ui, 'wharf-conformance', mocha);
  try {
    define();
  } finally {
    for (const k of INTERFACE_NAMES) {
      if (outer[k] === undefined) delete ui[k];
      else ui[k] = outer[k];
    }
  }
}

/** Runs mocha with the process's uncaught-error listeners of others set aside (see the file's comment). */
async function runIsolated(mocha: Mocha): Promise<void> {
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const saved = events.map((event) => ({ event, listeners: process.listeners(event as 'uncaughtException') }));
  const on = process.on.bind(process) as (event: string, listener: (...args: unknown[]) => void) => void;
  const off = process.removeListener.bind(process) as (event: string, listener: (...args: unknown[]) => void) => void;
  for (const { event, listeners } of saved) for (const l of listeners) off(event, l as never);
  let forward: ((reason: unknown) => void) | undefined;
  try {
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      // Mocha re-emits a rejection from user code on the process; with the outer listeners set aside
      // nobody would hear it: it fails the inner check that is running instead.
      forward = (reason) => runner.uncaught(reason instanceof Error ? reason : new Error(String(reason)));
      process.on('unhandledRejection', forward);
    });
  } finally {
    // The inner runner's own listeners go with it, before the outer run's come back.
    mocha.dispose();
    if (forward) process.removeListener('unhandledRejection', forward);
    for (const { event, listeners } of saved) for (const l of listeners) on(event, l as never);
  }
}

/** A mocha reporter that turns test and hook outcomes into CheckResults. */
function collector(results: CheckResult[], onResult: ((result: CheckResult) => void) | undefined) {
  const { EVENT_TEST_PASS, EVENT_TEST_FAIL } = Mocha.Runner.constants;
  return class ConformanceCollector {
    constructor(runner: Mocha.Runner) {
      // One result per check: a check failed by an uncaught error may end once more (mocha then
      // reports "done() called multiple times"); the first outcome is the one that counts.
      const reported = new WeakSet<Mocha.Runnable>();
      const add = (runnable: Mocha.Runnable, error: Error | undefined): void => {
        if (reported.has(runnable)) return;
        reported.add(runnable);
        const path = runnable.titlePath();
        const result: CheckResult = {
          suite: path[0] ?? '',
          title: path.slice(1).join(' › '),
          passed: error === undefined,
          ...(error !== undefined ? { error: error.message || String(error) } : {}),
          durationMs: runnable.duration ?? 0,
        };
        results.push(result);
        onResult?.(result);
      };
      runner.on(EVENT_TEST_PASS, (test) => add(test, undefined));
      runner.on(EVENT_TEST_FAIL, (runnable, err: Error) => add(runnable, err));
    }
  };
}
