/**
 * `wharf plugin check` passes the in-repo plugins and the docs examples, and fails each
 * deliberately broken variant of an in-repo plugin, naming the check that catches its bug (issue
 * 14, "What it must show"). Everything goes through the CLI's own command line (plugin-check.ts):
 * each variant (broken/<kind>/<name>.ts, a plugin module) is checked as a plugin file with the
 * real plugin's profile (`--profile <its package folder>`), and must exit 1 with a `✗` line for
 * each check its row below names. The variants are found in their folders: a variant without a
 * row fails, so adding one means adding its row — `'<file name>': ['<part of the check title>', ...]`
 * in the table of its folder. The broken protocol adapters are in protocol-variants.test.ts.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'mocha';
import { expect } from 'chai';
import { expectCaught, expectPassed, pluginCheck, variantsIn } from './plugin-check.js';
import { packageDir, variant } from './support.js';

/** broken/queue-types/<variant> -> the checks (parts of their titles) that must fail for it. */
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
  // Topic-like variants, checked with the topic type's profile (TOPIC_VARIANTS).
  'topic-history': ['does not deliver to a subscriber messages sent before it attached'],
  'topic-skips-subscriber': ['hands every message to every subscriber attached when it was sent'],
};
/** The queue-type variants that break the topic type: checked with @wharf/queue-topic's profile, the rest with @wharf/queue-queue's. */
const TOPIC_VARIANTS: ReadonlySet<string> = new Set(['topic-history', 'topic-skips-subscriber']);

const STORES: Readonly<Record<string, readonly string[]>> = {
  'not-atomic': ['leaves nothing of a batch that fails half way'],
  'forgets-delivery-counts': ['keeps messages, delivery counts and destination records across close and reopen'],
  'ignores-remove': ['forgets removed (acknowledged) messages'],
  'keeps-caller-buffers': ['keeps the bytes and headers it was given'],
  'replays-newest-first': ['replays the messages of a destination in append order'],
  'purge-drops-record': ['empties one destination with purge and keeps its record'],
  'forgets-recovery': ['keeps its recovery record (clean-stop marker, delivery horizons) across close and reopen'],
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

/**
 * Checks of the store suite that take seconds (random histories, kill -9): the stores' own tests
 * run them; here they are left out with --skip. sqlite's kill -9 check does run (through its profile's childModule).
 */
const SLOW_STORE_CHECKS = ['random histories', 'kill -9'];
const SKIPS: Readonly<Record<string, readonly string[]>> = {
  'plugins/store-memory': SLOW_STORE_CHECKS,
  'plugins/store-sqlite': ['random histories'],
};

interface Folder {
  readonly folder: string;
  readonly table: Readonly<Record<string, readonly string[]>>;
  /** The package whose profile the variant is checked with. */
  readonly profile: (variant: string) => string;
  readonly skip?: readonly string[];
}

const FOLDERS: readonly Folder[] = [
  { folder: 'queue-types', table: QUEUE_TYPES, profile: (v) => packageDir(TOPIC_VARIANTS.has(v) ? '@wharf/queue-topic' : '@wharf/queue-queue') },
  { folder: 'stores', table: STORES, profile: () => packageDir('@wharf/store-memory'), skip: SLOW_STORE_CHECKS },
  { folder: 'authenticators', table: AUTHENTICATORS, profile: () => packageDir('@wharf/security-users') },
  { folder: 'authorizers', table: AUTHORIZERS, profile: () => packageDir('@wharf/security-acl') },
];

describe('wharf plugin check fails each broken variant of the in-repo plugins, naming the check', function () {
  this.timeout(120_000);

  it('checks every folder of variants under broken/', () => {
    const folders = readdirSync(fileURLToPath(new URL('../../test/broken/', import.meta.url)), { withFileTypes: true })
      .filter((e) => e.isDirectory()).map((e) => e.name);
    // support/ holds what the variants share; protocol/ is protocol-variants.test.ts's.
    const covered = new Set([...FOLDERS.map((f) => f.folder), 'support', 'protocol']);
    expect(folders.filter((f) => !covered.has(f)), 'folders of variants no test checks: add them to FOLDERS').to.deep.equal([]);
  });

  for (const { folder, table, profile, skip } of FOLDERS) {
    describe(`broken/${folder}`, () => {
      const found = variantsIn(folder);

      it('has a row for every variant in the folder, and a variant for every row', () => {
        expect(found.filter((v) => !(v in table)), `variants with no row: add '<name>': ['<part of the check title>'] to the table of ${folder} in variants.test.ts`).to.deep.equal([]);
        expect(Object.keys(table).filter((v) => !found.includes(v)), `rows with no variant in broken/${folder}/`).to.deep.equal([]);
      });

      for (const name of found.filter((v) => v in table)) {
        const checks = table[name]!;
        it(`exits 1 for ${name}, with ✗ ${checks.map((c) => `"${c}"`).join(', ')}`, async () => {
          expectCaught(await pluginCheck(variant(`${folder}/${name}`), { profile: profile(name), ...(skip ? { skip } : {}) }), checks);
        });
      }
    });
  }
});

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const packagesIn = (parent: string): string[] =>
  readdirSync(join(repo, parent), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${parent}/${e.name}`).sort();

describe('wharf plugin check passes every in-repo plugin and docs example, from its folder with its own profile', function () {
  this.timeout(120_000);
  const targets = [...packagesIn('plugins'), ...packagesIn('docs/examples')];

  it('finds the plugins and the examples', () => {
    expect(targets).to.include.members(['plugins/queue-queue', 'plugins/protocol-stomp', 'docs/examples/protocol-http', 'docs/examples/queue-priority-js']);
  });

  for (const target of targets) {
    it(`exits 0 for ${target}`, async () => {
      const skip = SKIPS[target];
      expectPassed(await pluginCheck(join(repo, target), skip ? { skip } : {}));
    });
  }

  it('says why there is nothing to check for the command and pubsub types, and passes them', async () => {
    for (const [target, type] of [['plugins/queue-command', 'command'], ['plugins/queue-pubsub', 'pubsub']] as const) {
      const run = await pluginCheck(join(repo, target));
      expect(run.code).to.equal(0);
      expect(run.lines).to.include('0 passed, 0 failed');
      expect(run.lines.some((l) => l.startsWith(`nothing to check for queue type ${type}: nobody subscribes to`)), run.lines.join('\n')).to.equal(true);
    }
  });

  it('says an extension (the cluster plugin) has no conformance suite, without loading it, and passes it', async () => {
    const run = await pluginCheck(join(repo, 'plugins/cluster-redis'));
    expect(run.code, run.lines.join('\n')).to.equal(0);
    expect(run.lines).to.include('0 passed, 0 failed');
    expect(run.lines.some((l) => l.includes('plugin cluster-redis (extension): no conformance suite checks extensions')), run.lines.join('\n')).to.equal(true);
  });
});
