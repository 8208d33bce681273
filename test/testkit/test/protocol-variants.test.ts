/**
 * describeProtocolAdapter() must catch real bugs. Each module under broken/protocol/ is a protocol
 * plugin (loaded by its path, as a config names a plugin) that breaks one adapter in one way: the
 * streaming line protocol of broken/protocol/line/, or the request/response HTTP-lite adapter of
 * broken/protocol/http-lite/. The suite is run against each through mocha's programmatic API and
 * must fail, and the check that catches the bug must be among the failures. Each control, its
 * adapter unbroken, must pass every check of its profile, so a failure is the variant's doing.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import Mocha from 'mocha';
import { describeProtocolAdapter, type ProtocolAdapterSuiteOptions } from '../src/index.js';
import { httpLiteDriver } from './broken/protocol/http-lite/driver.js';
import { lineDriver } from './broken/protocol/line/driver.js';

/** Plugin paths below are relative to this folder (dist/test/ once built). */
const HERE = fileURLToPath(new URL('./', import.meta.url));

interface CheckResult {
  readonly title: string;
  readonly passed: boolean;
  readonly error?: string;
}

/** The mocha interface functions a `pre-require` replaces on the global object, put back after. */
const MOCHA_GLOBALS = ['describe', 'context', 'it', 'specify', 'before', 'after', 'beforeEach', 'afterEach', 'xdescribe', 'xcontext', 'xit', 'xspecify', 'run'] as const;

/**
 * Runs describeProtocolAdapter() in a mocha of its own and returns one result per check (a failed
 * hook counts against the check it ran for). A stand-in for the testkit's runConformance().
 */
async function runSuite(options: ProtocolAdapterSuiteOptions): Promise<CheckResult[]> {
  const saved = MOCHA_GLOBALS.map((name) => [name, (globalThis as Record<string, unknown>)[name]] as const);
  const mocha = new Mocha({ reporter: Mocha.reporters.Base, timeout: 20_000 });
  const results: CheckResult[] = [];
  try {
    mocha.suite.emit('pre-require', globalThis, 'protocol-variants', mocha);
    describeProtocolAdapter('variant', options);
  } finally {
    for (const [name, value] of saved) (globalThis as Record<string, unknown>)[name] = value;
  }
  await new Promise<void>((resolve) => {
    // dispose(): the runner's process listeners (uncaughtException, unhandledRejection) go with it.
    const runner = mocha.run(() => {
      mocha.dispose();
      resolve();
    });
    runner.on('pass', (test) => results.push({ title: test.title, passed: true }));
    runner.on('fail', (test, err: Error) => {
      // A failing hook is reported as the hook; name the check it was run for.
      const runnable = test as Mocha.Runnable & { type?: string; currentTest?: Mocha.Test };
      const title = runnable.type === 'hook' ? runnable.currentTest?.title ?? runnable.title : runnable.title;
      results.push({ title, passed: false, error: err.message });
    });
  });
  return results;
}

const QUEUE_TYPES = ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub'];

interface Variant {
  readonly file: string;
  readonly bug: string;
  readonly caughtBy: string;
}

interface Family {
  readonly profile: string;
  /** The unbroken adapter. */
  readonly control: string;
  readonly options: (plugin: string) => ProtocolAdapterSuiteOptions;
  readonly variants: readonly Variant[];
}

const FAMILIES: readonly Family[] = [
  {
    profile: 'streaming',
    control: 'line/index',
    options: (plugin) => ({
      plugins: [...QUEUE_TYPES, plugin], protocol: 'line', driver: lineDriver, configDir: HERE, timeoutMs: 2000,
      backpressure: { messages: 160, bodyBytes: 64 * 1024 },
    }),
    variants: [
      { file: 'trusts-known-login', bug: 'skips the security check for a login it has seen', caughtBy: 'asks the security plugins on every connect, even while the same user is connected' },
      { file: 'drops-under-backpressure', bug: 'drops messages under backpressure', caughtBy: 'stops delivering to a client that stops reading; after it reads again nothing is lost' },
      { file: 'stays-open-on-malformed', bug: 'does not close on a malformed frame', caughtBy: 'answers input that breaks the protocol with an error and a close; other clients carry on' },
      { file: 'leaks-session', bug: 'leaks a session on disconnect', caughtBy: 'a closed client\'s session leaves the broker, which keeps serving' },
      { file: 'reorders-deliveries', bug: 'delivers out of order', caughtBy: 'queue: holds messages for the first subscriber, then gives each message to one subscriber' },
    ],
  },
  {
    profile: 'request-response',
    control: 'http-lite/index',
    options: (plugin) => ({ profile: 'request-response', plugins: [...QUEUE_TYPES, plugin], protocol: 'http-lite', driver: httpLiteDriver, configDir: HERE, timeoutMs: 2000 }),
    variants: [
      { file: 'greedy-poll', bug: 'takes more messages than a poll answers with', caughtBy: 'queue: a poll takes the held messages in order, at most max; the rest wait for the next poll' },
      { file: 'keeps-request-session', bug: 'keeps a request\'s session after the answer', caughtBy: 'runs a request in a session of the user it names, and closes it once answered' },
      { file: 'polls-for-gone-clients', bug: 'keeps polling for a client that went away', caughtBy: 'a long poll whose client goes away closes its session and takes no message' },
    ],
  },
];

describe('describeProtocolAdapter catches broken protocol adapters', function () {
  this.timeout(180_000);

  for (const { profile, control, options, variants } of FAMILIES) {
    describe(`${profile} profile`, () => {
      let controlChecks: string[] = [];

      it(`passes the control (${control}), its adapter unbroken, on every check`, async () => {
        const results = await runSuite(options(`./broken/protocol/${control}.js`));
        expect(results.filter((r) => !r.passed), 'no check fails the control').to.deep.equal([]);
        expect(results.length, 'every check ran').to.be.at.least(15);
        controlChecks = results.map((r) => r.title);
      });

      for (const { file, bug, caughtBy } of variants) {
        it(`fails an adapter that ${bug} (${file}), at "${caughtBy}"`, async () => {
          expect(controlChecks, 'the control ran first and has this check').to.include(caughtBy);
          const results = await runSuite(options(`./broken/protocol/${file}.js`));
          const failed = results.filter((r) => !r.passed).map((r) => r.title);
          expect(failed, `the checks that failed for ${file}`).to.include(caughtBy);
        });
      }
    });
  }
});
