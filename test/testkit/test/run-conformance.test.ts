/**
 * runConformance() and loadConformanceProfile() themselves: what is reported unchecked and why,
 * grep and onResult, load failures, profile files, and that a run inside a mocha test leaves the
 * outer run alone (its interface, its uncaught-error handling).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { ErrorCodes, WharfError, definePlugin, type PluginDefinition } from '@wharf/core';
import { loadConformanceProfile, runConformance, type CheckResult } from '../src/index.js';
import { packageDir } from './support.js';
import { realQueue, WrappedDestination } from './broken/support/queue-variant.js';

const queueFolder = packageDir('@wharf/queue-queue');

/** A queue whose publish throws from a later turn of the event loop: an uncaught exception. */
const throwsLater = definePlugin({ kind: 'queue-type', name: 'throws-later', core: '^0.1.0' }, (ctx) => ctx.queueType({
  type: 'queue',
  create: (name, settings, qctx) => new class extends WrappedDestination {
    override publish(message: Parameters<WrappedDestination['publish']>[0]) {
      if (Buffer.from(message.body).toString() === 'm3') setImmediate(() => { throw new Error('thrown by a broken plugin, outside any check'); });
      return this.inner.publish(message);
    }
  }(realQueue(name, settings, qctx)),
})) as PluginDefinition<never>;

describe('runConformance()', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-conformance-profile-'));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('says what it could not check and why, and checks the rest', async () => {
    const run = await runConformance(
      { plugins: [queueFolder, packageDir('@wharf/queue-command'), packageDir('@wharf/security-users')] },
      { ...(await loadConformanceProfile(queueFolder)), stores: { nowhere: {} } },
    );
    expect(run.failed).to.equal(0);
    expect(run.passed).to.be.greaterThan(10);
    expect(run.unchecked).to.have.length(3);
    expect(run.unchecked.find((u) => u.startsWith('queue type command (plugin queue-command)'))).to.match(/does not give holdsMessages/);
    expect(run.unchecked.find((u) => u.includes('security-users'))).to.match(/cannot be loaded on its own .*missing required key "file"/s);
    expect(run.unchecked.find((u) => u.startsWith('store nowhere is in the profile (stores.nowhere)'))).to.match(/no plugin of the target registers it/);
    expect(run.nothingToCheck).to.deep.equal([]);
  });

  it('runs no suite for a queue type whose profile says there is nothing to check, and says why', async () => {
    const run = await runConformance({ plugins: [queueFolder] }, { queueTypes: { queue: { nothingToCheck: 'a reason in words' } } });
    expect(run.results).to.deep.equal([]);
    expect(run.unchecked).to.deep.equal([]);
    expect(run.nothingToCheck).to.deep.equal(['queue type queue: a reason in words']);
  });

  it('runs only the checks grep matches, and reports each one to onResult as it ends', async () => {
    const seen: CheckResult[] = [];
    const run = await runConformance({ plugins: [queueFolder] }, await loadConformanceProfile(queueFolder), {
      grep: /prefetch/, onResult: (r) => seen.push(r),
    });
    expect(run.results.map((r) => r.title)).to.deep.equal([
      'acknowledgement › delivers at most prefetch unacknowledged messages in client mode, and more after an ack',
      'acknowledgement › delivers at most prefetch unacknowledged messages in client-individual mode, and more after an ack',
    ]);
    expect(seen).to.deep.equal(run.results);
    for (const r of run.results) {
      expect(r.suite).to.equal('queue type conformance: queue');
      expect(r.passed).to.equal(true);
      expect(r.durationMs).to.be.a('number');
    }
  });

  it('rejects with the loader\'s error when a plugin cannot be loaded', async () => {
    const err = await runConformance({ plugins: ['./no-such-plugin'], configDir: tempDir() }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(WharfError);
    expect((err as WharfError).code).to.equal(ErrorCodes.PLUGIN_NOT_FOUND);
  });

  it('leaves the outer mocha run alone: its interface stays, and an error thrown by the plugin fails only the inner check', async () => {
    const globals = globalThis as Record<string, unknown>;
    const before = { describe: globals['describe'], it: globals['it'], afterEach: globals['afterEach'] };
    const run = await runConformance({ plugins: [throwsLater] }, { queueTypes: { queue: { holdsMessages: true, redelivers: true } } }, { grep: /delivers messages sent after a subscriber attached/ });
    expect({ describe: globals['describe'], it: globals['it'], afterEach: globals['afterEach'] }).to.deep.equal(before);
    const check = run.results.find((r) => r.title === 'delivery › delivers messages sent after a subscriber attached, in order, with unique ids');
    expect(check?.passed, 'the inner check fails').to.equal(false);
    expect(check?.error).to.contain('thrown by a broken plugin');
    expect(run.results.filter((r) => r.title === check?.title), 'one result per check').to.have.length(1);
  });

  it('runs a protocol adapter\'s suite with the driver the profile gives, and the first-party queue types', async () => {
    const stomp = packageDir('@wharf/protocol-stomp');
    const without = await runConformance({ plugins: [stomp] });
    expect(without.unchecked).to.have.length(1);
    expect(without.unchecked[0]).to.match(/^protocol stomp .*does not give driver/);
    // The STOMP package's profile gives the driver it ships (src/testing/stomp-driver.ts).
    const profile = await loadConformanceProfile(stomp);
    expect(profile.protocols?.stomp?.driver).to.have.property('connect').that.is.a('function');
    const run = await runConformance({ plugins: [stomp] }, profile, { grep: /credentials|pubsub/ });
    expect(run.unchecked).to.deep.equal([]);
    expect(run.results.filter((r) => !r.passed)).to.deep.equal([]);
    expect(run.passed).to.be.at.least(3);
  });

  it('runs one run after another when called concurrently', async () => {
    const profile = await loadConformanceProfile(queueFolder);
    const [a, b] = await Promise.all([
      runConformance({ plugins: [queueFolder] }, profile, { grep: /prefetch/ }),
      runConformance({ plugins: [queueFolder] }, profile, { grep: /NACKed/ }),
    ]);
    expect(a.results).to.have.length(2);
    expect(b.results.map((r) => r.title)).to.deep.equal(['acknowledgement › redelivers a NACKed message (client-individual), marked redelivered, delivery count 2']);
    expect(a.failed + b.failed).to.equal(0);
  });
});

describe('loadConformanceProfile()', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-conformance-load-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads the module package.json names, or a module path, and gives {} for a package that names none', async () => {
    expect(Object.keys(await loadConformanceProfile(queueFolder))).to.deep.equal(['queueTypes']);
    const file = write('profile.mjs', 'export default { queueTypes: { x: { holdsMessages: false } } };');
    expect(await loadConformanceProfile(file)).to.deep.equal({ queueTypes: { x: { holdsMessages: false } } });
    const none = mkdtempSync(join(dir, 'none-'));
    writeFileSync(join(none, 'package.json'), JSON.stringify({ name: 'none' }));
    expect(await loadConformanceProfile(none)).to.deep.equal({});
  });

  it('refuses a nothingToCheck that is not a queue type\'s only entry, or not a reason', async () => {
    const refusal = (text: string, name: string) => loadConformanceProfile(write(name, text)).then(() => undefined, (e: unknown) => e as WharfError);
    for (const [text, name] of [
      ['export default { queueTypes: { x: { nothingToCheck: "why", holdsMessages: true } } };', 'mixed.mjs'],
      ['export default { queueTypes: { x: { nothingToCheck: 3 } } };', 'number.mjs'],
      ['export default { stores: { x: { nothingToCheck: "why" } } };', 'store.mjs'],
    ] as const) {
      const err = await refusal(text, name);
      expect(err?.code, name).to.equal(ErrorCodes.CONFIG);
      expect(err?.message, name).to.contain('nothingToCheck must be a queue type\'s only entry');
    }
  });

  it('refuses a missing module, a bad package.json field and an unknown section, saying what to fix', async () => {
    const refusal = (path: string) => loadConformanceProfile(path).then(() => undefined, (e: unknown) => e as WharfError);
    const missing = await refusal(join(dir, 'nothing.js'));
    expect(missing?.code).to.equal(ErrorCodes.CONFIG);
    expect(missing?.message).to.contain('does not exist');
    const pkg = mkdtempSync(join(dir, 'pkg-'));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'x', wharf: { conformance: 42 } }));
    expect((await refusal(pkg))?.hint).to.contain('"wharf": { "conformance"');
    const unknown = await refusal(write('unknown.mjs', 'export default { queues: {} };'));
    expect(unknown?.message).to.contain('unknown section queues');
  });
});
