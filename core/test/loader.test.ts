import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Broker, ConfigError, ErrorCodes, WharfError, createLogger } from '../src/index.js';
import { tinyTypesPlugin } from './helpers/tiny-types.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const silent = createLogger('silent');

async function failure(config: Record<string, unknown>): Promise<WharfError> {
  try {
    const broker = await Broker.create(config, { configDir: fixtures, logger: silent });
    await broker.start();
    await broker.stop();
  } catch (err) {
    expect(err).to.be.instanceOf(WharfError);
    return err as WharfError;
  }
  throw new Error('expected the broker to refuse to start');
}

describe('plugin loader', () => {
  it('loads a plugin from a local file named relative to the config, with its options', async () => {
    const broker = await Broker.create({
      plugins: [tinyTypesPlugin, { use: './local-plugin.mjs', options: { typeName: 'ledger' } }],
      routing: { rules: [{ match: '^/ledger/', type: 'ledger' }] },
    }, { configDir: fixtures, logger: silent });
    await broker.start();
    try {
      expect([...broker.queueTypes.types.keys()]).to.include('ledger');
      expect(broker.mqm.createDestination('/ledger/a').type).to.equal('ledger');
    } finally {
      await broker.stop();
    }
  });

  it('loads a plugin from a folder with a package.json', async () => {
    const before = (globalThis as { __wharfFolderFixtureStarted?: number }).__wharfFolderFixtureStarted ?? 0;
    const broker = await Broker.create({ plugins: [tinyTypesPlugin, './folder-plugin'] }, { configDir: fixtures, logger: silent });
    await broker.start();
    await broker.stop();
    expect((globalThis as { __wharfFolderFixtureStarted?: number }).__wharfFolderFixtureStarted).to.equal(before + 1);
  });

  it('refuses a missing plugin, naming it and where it looked', async () => {
    const err = await failure({ plugins: [tinyTypesPlugin, './no-such-plugin.mjs'] });
    expect(err.code).to.equal(ErrorCodes.PLUGIN_NOT_FOUND);
    expect(err.message).to.contain('./no-such-plugin.mjs').and.contain('plugins[1]');
    expect(err.hint).to.contain(fixtures.replace(/\/$/, ''));
    const pkg = await failure({ plugins: ['wharf-queue-does-not-exist'] });
    expect(pkg.code).to.equal(ErrorCodes.PLUGIN_NOT_FOUND);
    expect(pkg.hint).to.contain('npm install wharf-queue-does-not-exist');
  });

  it('refuses a module that does not export a plugin definition', async () => {
    const err = await failure({ plugins: ['./malformed-plugin.mjs'] });
    expect(err.code).to.equal(ErrorCodes.PLUGIN_INVALID);
    expect(err.message).to.contain('./malformed-plugin.mjs').and.contain('does not default-export a plugin definition');
    expect(err.hint).to.contain('definePlugin');
  });

  it('refuses a module that fails to import', async () => {
    const err = await failure({ plugins: ['./syntax-error-plugin.mjs'] });
    expect(err.code).to.equal(ErrorCodes.PLUGIN_INVALID);
    expect(err.message).to.contain('./syntax-error-plugin.mjs').and.contain('failed to load');
  });

  it('refuses a plugin made for another core version', async () => {
    const err = await failure({ plugins: ['./old-core-plugin.mjs'] });
    expect(err.code).to.equal(ErrorCodes.PLUGIN_VERSION);
    expect(err.message).to.contain('old-core').and.contain('^0.0.1').and.contain('0.1.0');
  });

  it('stops the start when a plugin throws in register or start, naming the plugin', async () => {
    const reg = await failure({ plugins: [tinyTypesPlugin, './throws-on-register.mjs'] });
    expect(reg.code).to.equal(ErrorCodes.PLUGIN_FAILED);
    expect(reg.message).to.contain('throws-on-register').and.contain('option parsing exploded');
    const start = await failure({ plugins: [tinyTypesPlugin, './throws-on-start.mjs'] });
    expect(start.code).to.equal(ErrorCodes.PLUGIN_FAILED);
    expect(start.message).to.contain('throws-on-start').and.contain('failed to start').and.contain('cannot reach the widget service');
  });

  it('checks plugin options against the plugin schema, naming the path', async () => {
    const err = await failure({ plugins: [tinyTypesPlugin, { use: './local-plugin.mjs', options: { typeName: 7 } }] });
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).issues[0]!.path).to.deep.equal(['plugins', 1, 'options', 'typeName']);
  });

  it('refuses the same plugin listed twice and two plugins claiming one queue type', async () => {
    const twice = await failure({ plugins: [tinyTypesPlugin, tinyTypesPlugin] });
    expect(twice.code).to.equal(ErrorCodes.PLUGIN_CONFLICT);
    const clash = await failure({ plugins: [tinyTypesPlugin, { use: './local-plugin.mjs', options: { typeName: 'queue' } }] });
    expect(clash.code).to.equal(ErrorCodes.PLUGIN_CONFLICT);
    expect(clash.message).to.contain('queue type queue');
  });

  it('reports routing to a queue type no plugin provides, suggesting the nearest', async () => {
    const err = await failure({ plugins: [tinyTypesPlugin], routing: { rules: [{ match: '^/x', type: 'queu' }] } });
    expect(err).to.be.instanceOf(ConfigError);
    const issue = (err as ConfigError).issues[0]!;
    expect(issue.path).to.deep.equal(['routing', 'rules', 0, 'type']);
    expect(issue.message).to.contain('unknown queue type "queu"');
    expect(issue.hint).to.contain('did you mean "queue"');
    expect(issue.expected).to.contain('command, pubsub, queue, topic'.split(', ')[0]);
  });
});
