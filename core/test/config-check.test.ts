/**
 * Broker.checkConfig and Broker.create report every problem of a config in one run, and a config
 * broken in any section is reported as problems, never a crash of the checks themselves.
 */
import { expect } from 'chai';
import { Broker, ConfigError, createLogger, definePlugin, ErrorCodes, WharfError, type ProtocolAdapter } from '../src/index.js';
import { tinyTypesPlugin } from './helpers/tiny-types.js';

const silent = createLogger('silent');

const nullProtocol = definePlugin({
  kind: 'protocol', name: 'null-protocol', core: '^0.1.0',
}, (ctx) => {
  const adapter: ProtocolAdapter = {
    protocol: 'null', accept: (stream) => void stream.destroy(),
    listenerOptionsSchema: { type: 'object', properties: { size: { type: 'integer' } }, additionalProperties: false },
  };
  ctx.protocol(adapter);
});

const withOptions = definePlugin<{ level: number }>({
  kind: 'security', name: 'with-options', core: '^0.1.0',
  optionsSchema: { type: 'object', properties: { level: { type: 'integer', description: 'how loud' } }, required: ['level'], additionalProperties: false },
}, () => undefined);

async function problems(config: unknown): Promise<WharfError> {
  try {
    await Broker.checkConfig(config, { logger: silent });
  } catch (err) {
    if (!(err instanceof WharfError)) throw err;
    return err;
  }
  return expect.fail('the config was accepted');
}

describe('checking a config: every problem in one run', () => {
  it('a plugin that is not found, bad plugin options, a bad listener option and an unknown queue type: all of them', async () => {
    const err = await problems({
      plugins: [tinyTypesPlugin, nullProtocol, './no-such-plugin.mjs', { use: withOptions, options: { level: 'loud' } }],
      listeners: [{ protocol: 'null', port: 0, options: { size: 'big' } }],
      routing: { rules: [{ match: '^/x/', type: 'queu' }] },
    });
    expect(err).to.be.instanceOf(ConfigError);
    const paths = (err as ConfigError).issues.map((i) => i.path.join('.'));
    expect(paths).to.include.members(['plugins.2', 'plugins.3.options.level', 'listeners.0.options.size']);
    // The missing plugin is of unknown kind: it may be the one providing "queu", so that is a note, not a problem.
    expect((err as ConfigError).notChecked.join('\n')).to.contain('routing.rules[0].type: the queue type "queu"').and.contain('did you mean "queue"');
    expect(err.message).to.contain('[WHARF_ERR_PLUGIN_NOT_FOUND]');
  });

  it('a plugin whose options are wrong is of a known kind: it cannot hide an unknown queue type', async () => {
    const err = await problems({
      plugins: [tinyTypesPlugin, { use: withOptions, options: {} }],
      routing: { rules: [{ match: '^/x/', type: 'queu' }] },
    }) as ConfigError;
    expect(err.issues.map((i) => i.path.join('.'))).to.have.members(['plugins.1.options.level', 'routing.rules.0.type']);
  });

  it('a lone plugin failure is thrown as that plugin\'s own error, with what it kept from being checked', async () => {
    const err = await problems({ plugins: [tinyTypesPlugin, './no-such-plugin.mjs'], listeners: [{ protocol: 'null', port: 0 }] });
    expect(err.code).to.equal(ErrorCodes.PLUGIN_NOT_FOUND);
    expect(err.message).to.contain('not checked').and.contain('listeners[0].protocol: the protocol "null"');
    const create = await Broker.create({ plugins: [tinyTypesPlugin, './no-such-plugin.mjs'] }, { logger: silent }).then(() => undefined, (e: unknown) => e);
    expect((create as WharfError).code).to.equal(ErrorCodes.PLUGIN_NOT_FOUND);
  });

  for (const [what, broken] of [
    ['routing is a number', { routing: 5 }],
    ['routing is null', { routing: null }],
    ['routing.rules is a number', { routing: { rules: 5 } }],
    ['routing.prefixes is a list', { routing: { prefixes: ['/q/'] } }],
    ['listeners is a mapping', { listeners: { a: 1 } }],
    ['a listener is a number', { listeners: [5] }],
    ['plugins is a string', { plugins: 'tiny' }],
    ['a plugin entry is a number', { plugins: [tinyTypesPlugin, 5] }],
    ['store is a number', { store: 3 }],
    ['limits is a string', { limits: 'lots' }],
    ['security is a list', { security: [1], listeners: [{ protocol: 'null', host: '0.0.0.0', port: 0 }] }],
    ['log is a number', { log: 3 }],
  ] as const) {
    it(`reports a config whose ${what} as problems, not a crash`, async () => {
      const config = { plugins: [tinyTypesPlugin, nullProtocol], ...broken };
      const err = await problems(config);
      expect(err, err.stack).to.be.instanceOf(ConfigError);
      const create = await Broker.create(config, { logger: silent }).then(() => undefined, (e: unknown) => e);
      expect(create).to.be.instanceOf(ConfigError);
    });
  }

  it('a good config passes the check and the broker it describes starts', async () => {
    const config = { plugins: [tinyTypesPlugin, nullProtocol, { use: withOptions, options: { level: 3 } }], listeners: [{ protocol: 'null', port: 0, options: { size: 2 } }] };
    await Broker.checkConfig(config, { logger: silent });
    const broker = await Broker.create(config, { logger: silent });
    await broker.start();
    await broker.stop();
  });
});
