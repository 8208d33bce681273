/**
 * The conformance suites catch real bugs: each deliberately broken variant of an in-repo plugin
 * (broken/<kind>/<name>.ts, a plugin module loaded by path as the broker loads plugins) is run
 * through runConformance() with the real plugin's profile, and the checks that must catch its bug
 * fail. The real plugins, run the same way, pass.
 */
import { describe, it } from 'mocha';
import { loadConformanceProfile, runConformance, type ConformanceProfile } from '../src/index.js';
import { docsExample, expectCaught, expectPassed, packageDir, variant } from './support.js';

const profileOf = (dir: string): Promise<ConformanceProfile> => loadConformanceProfile(dir);

/** Variant -> the checks (parts of their titles) that must fail for it. */
const QUEUE_TYPES: Readonly<Record<string, readonly string[]>> = {
  'fan-out': ['hands each message to exactly one of several subscribers'],
  'ignores-prefetch': ['delivers at most prefetch unacknowledged messages in client mode', 'delivers at most prefetch unacknowledged messages in client-individual mode'],
  'client-ack-not-cumulative': ['acknowledges every earlier delivery too with one ack in client mode'],
  'individual-ack-acks-many': ['acknowledges exactly the one delivery named in client-individual mode'],
  'nack-drops': ['redelivers a NACKed message'],
  'detach-drops': ["gives an unsubscribed subscriber's unacknowledged messages to the next", "gives a closed session's unacknowledged messages to another session"],
  'redelivers-out-of-order': ["gives an unsubscribed subscriber's unacknowledged messages to the next, in order"],
  'no-redelivered-flag': ['redelivers a NACKed message', "gives an unsubscribed subscriber's unacknowledged messages to the next"],
  'delivers-despite-failed-append': ['refuses a persistent message whose store write failed and never delivers it'],
  'restore-reorders': ['keeps persistent messages across a restart, in order'],
  'no-flow-accounting': ['reports the bytes it holds through QueueContext.flow.held', 'pauses a producer once the destination holds more than its high-water mark'],
  'ignores-high-water-mark': ['pauses a producer once the destination holds more than its high-water mark'],
  'held-bytes-leak': ['gives them back when purged', 'gives the held bytes back as consumers take the messages'],
  'acks-not-forgotten': ['keeps persistent messages across a restart, in order, without the acknowledged ones'],
  'restore-forgets-deliveries': ['keeps persistent messages across a restart, in order, without the acknowledged ones, redelivered where delivered'],
  'prepare-ignores-held': ['counts the messages it holds when it prepares a transaction', 'changes nothing in Destination.prepare of a batch it refuses or accepts'],
  'prepare-enqueues': ['changes nothing in Destination.prepare of a batch it accepts', 'delivers the sends of a committed transaction at COMMIT, not before, all of them in order'],
  'prepare-reserves': ['changes nothing in Destination.prepare of a batch it refuses or accepts, and reserves no room'],
  'prepare-trusts-consumers': ["applies a COMMIT whole or not at all when its consumer's buffer fills during it"],
  'settle-prepare-accepts-any': ['fails a COMMIT whose ACK names no delivery, and applies none of its earlier ACKs (client)', 'fails a COMMIT whose ACK names no delivery, and applies none of its earlier ACKs (client-individual)', 'fails a COMMIT that settles the same delivery twice'],
};
const TOPICS: Readonly<Record<string, readonly string[]>> = {
  'topic-history': ['does not deliver to a subscriber messages sent before it attached'],
  'topic-skips-subscriber': ['hands every message to every subscriber attached when it was sent'],
};
const STORES: Readonly<Record<string, readonly string[]>> = {
  'not-atomic': ['leaves nothing of a batch that fails half way'],
  'forgets-delivery-counts': ['keeps messages, delivery counts and destination records across close and reopen'],
  'ignores-remove': ['forgets removed (acknowledged) messages'],
  'keeps-caller-buffers': ['keeps the bytes and headers it was given'],
  'replays-newest-first': ['replays the messages of a destination in append order'],
  'purge-drops-record': ['empties one destination with purge and keeps its record'],
};
const AUTHENTICATORS: Readonly<Record<string, readonly string[]>> = {
  'accepts-any-passcode': ['rejects a wrong password', "rejects one user's password given for another user"],
  'anonymous-fallback': ['does not fall back to anonymous for a wrong password'],
  'passcode-in-principal': ['never puts the passcode into the principal'],
  'shared-principal': ['decides concurrent attempts independently'],
};
const AUTHORIZERS: Readonly<Record<string, readonly string[]>> = {
  'prefix-match': ['gives exactly the granted rights, to the named user, on the named destination only'],
  'user-is-group': ['a user named like the group is not a member'],
  'groups-one-by-one': ['lets a deny win over any allow'],
  'no-change-notice': ['if its rules can change while running, tells core through onChange'],
};

/** The checks of the store suite that take seconds (random histories, kill -9) are left to the stores' own tests. */
const QUICK_STORE_CHECKS = /^(?!.*(random histories|kill -9))/;

function caughtEach(kind: string, variants: Readonly<Record<string, readonly string[]>>, profile: () => Promise<ConformanceProfile>, grep?: RegExp): void {
  for (const [name, checks] of Object.entries(variants)) {
    it(`fails the broken ${kind} ${name}, in: ${checks.join('; ')}`, async () => {
      const run = await runConformance({ plugins: [variant(`${kind}s/${name}`)] }, await profile(), grep ? { grep } : {});
      expectCaught(run, checks);
    });
  }
}

describe('conformance suites against broken variants of the in-repo plugins', function () {
  this.timeout(120_000);

  caughtEach('queue-type', QUEUE_TYPES, () => profileOf(packageDir('@wharf/queue-queue')));
  caughtEach('queue-type', TOPICS, () => profileOf(packageDir('@wharf/queue-topic')));
  caughtEach('store', STORES, () => profileOf(packageDir('@wharf/store-memory')), QUICK_STORE_CHECKS);
  caughtEach('authenticator', AUTHENTICATORS, () => profileOf(packageDir('@wharf/security-users')));
  caughtEach('authorizer', AUTHORIZERS, () => profileOf(packageDir('@wharf/security-acl')));
});

describe('conformance suites against the in-repo plugins, loaded from their folders with their profiles', function () {
  this.timeout(120_000);
  const folders: Readonly<Record<string, string>> = {
    '@wharf/queue-queue': packageDir('@wharf/queue-queue'),
    '@wharf/queue-topic': packageDir('@wharf/queue-topic'),
    '@wharf/store-memory': packageDir('@wharf/store-memory'),
    '@wharf/store-sqlite': packageDir('@wharf/store-sqlite'),
    '@wharf/security-users': packageDir('@wharf/security-users'),
    '@wharf/security-acl': packageDir('@wharf/security-acl'),
    'docs/examples/queue-replay': docsExample('queue-replay'),
  };
  for (const [name, folder] of Object.entries(folders)) {
    it(`passes ${name}`, async () => {
      // sqlite's kill -9 check runs here too, through the profile's childModule; the random histories are left to its own test.
      const grep = name === '@wharf/store-memory' ? { grep: QUICK_STORE_CHECKS } : name === '@wharf/store-sqlite' ? { grep: /^(?!.*random histories)/ } : {};
      expectPassed(await runConformance({ plugins: [folder] }, await profileOf(folder), grep));
    });
  }
});
