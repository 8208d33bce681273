import { expect } from 'chai';
import {
  ConfigError,
  brokerConfigSchema,
  checkAgainstSchema,
  validateConfig,
  type ConfigIssue,
} from '../../src/config/index.js';
import type { ConfigSource } from '../../src/spi/config.js';
import { ErrorCodes, WharfError } from '../../src/errors.js';
import { definePlugin } from '../../src/spi/plugin.js';

/** The issues validateConfig throws for `raw` (fails the test when it does not throw). */
function issuesOf(raw: unknown, source?: ConfigSource): readonly ConfigIssue[] {
  try {
    validateConfig(raw, source);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  expect.fail('validateConfig accepted an invalid config');
}

function issueAt(issues: readonly ConfigIssue[], path: ReadonlyArray<string | number>): ConfigIssue {
  const found = issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path));
  expect(found, `an issue at ${JSON.stringify(path)} among ${JSON.stringify(issues.map((i) => i.path))}`).to.not.equal(undefined);
  return found!;
}

describe('validateConfig', () => {
  it('fills in every default for an empty config', () => {
    expect(validateConfig({})).to.deep.equal({
      plugins: [],
      listeners: [],
      routing: {
        rules: [],
        prefixes: { '/queue/': 'queue', '/pubsub/': 'pubsub', '/command/': 'command' },
        fallback: 'topic',
        cacheSize: 10000,
      },
      pubsub: {},
      security: { allowAnonymousRemote: false },
      store: { groupCommit: true },
      limits: {
        maxDestinationLength: 1024, maxTransactionSize: 10000, maxTransactions: 100,
        connections: { perAddress: 1000, unauthenticatedPerAddress: 32, unauthenticatedPerListener: 1000 },
      },
      log: { level: 'info' },
    });
  });

  it('treats an absent config (an empty file) as {}', () => {
    expect(validateConfig(undefined).log.level).to.equal('info');
    expect(validateConfig(null).plugins).to.deep.equal([]);
  });

  it('fills in defaults inside listeners and pubsubs', () => {
    const config = validateConfig({ listeners: [{ protocol: 'stomp', port: 61613 }], pubsub: { '/pubsub/a': {} } });
    expect(config.listeners[0]).to.deep.equal({ protocol: 'stomp', port: 61613, transport: 'tcp', host: '127.0.0.1', options: {} });
    expect(config.pubsub['/pubsub/a']).to.deep.equal({ children: [] });
  });

  it('gives each validated config its own default objects', () => {
    const a = validateConfig({});
    const b = validateConfig({});
    expect(a.routing.prefixes).to.not.equal(b.routing.prefixes);
    expect(a.plugins).to.not.equal(b.plugins);
  });

  it('leaves the raw config unchanged', () => {
    const raw = { routing: { rules: [{ match: '^/a', type: 'queue' }] } };
    validateConfig(raw);
    expect(raw).to.deep.equal({ routing: { rules: [{ match: '^/a', type: 'queue' }] } });
  });

  it('keeps plugin definitions by reference', () => {
    const plugin = definePlugin({ kind: 'extension', name: 'inline', core: '*' }, () => {});
    const config = validateConfig({ plugins: [plugin, { use: plugin, options: { a: 1 } }] });
    expect(config.plugins[0]).to.equal(plugin);
    expect((config.plugins[1] as { use: unknown }).use).to.equal(plugin);
  });

  it('accepts a $schema key at the top level', () => {
    expect(validateConfig({ $schema: './node_modules/@wharf/core/schema.json' }).log.level).to.equal('info');
  });

  it('names the path of a broken regular expression and says why it is broken', () => {
    const issue = issueAt(issuesOf({ routing: { rules: [{ match: '^(/jobs', type: 'queue' }] } }), ['routing', 'rules', 0, 'match']);
    expect(issue.message).to.equal('not a valid regular expression');
    expect(issue.value).to.equal('^(/jobs');
    expect(issue.hint).to.match(/Unterminated group/);
  });

  it('names an unknown key and suggests the nearest known one', () => {
    const issue = issueAt(issuesOf({ listners: [] }), ['listners']);
    expect(issue.message).to.equal('unknown key "listners"');
    expect(issue.hint).to.equal('did you mean "listeners"?');
  });

  it('lists the allowed keys when no known key is close to an unknown one', () => {
    const issue = issueAt(issuesOf({ log: { verbosity: 3 } }), ['log', 'verbosity']);
    expect(issue.hint).to.equal('allowed keys: level');
  });

  it('reports a wrong type with what was expected and the value found', () => {
    const issue = issueAt(issuesOf({ listeners: [{ protocol: 'stomp', port: 'abc' }] }), ['listeners', 0, 'port']);
    expect(issue.message).to.equal('wrong type');
    expect(issue.expected).to.equal('an integer');
    expect(issue.value).to.equal('abc');
    expect(issue.hint).to.match(/TCP port/);
  });

  it('lists the allowed values of an enum', () => {
    const issue = issueAt(issuesOf({ listeners: [{ protocol: 'stomp', port: 1, transport: 'udp' }] }), ['listeners', 0, 'transport']);
    expect(issue.expected).to.equal('one of: tcp, tls, ws');
    expect(issue.value).to.equal('udp');
  });

  it('puts a missing required key into the path', () => {
    const issue = issueAt(issuesOf({ listeners: [{ protocol: 'stomp' }] }), ['listeners', 0, 'port']);
    expect(issue.message).to.equal('missing required key "port"');
    expect(issue.hint).to.match(/TCP port/);
  });

  it('asks for tls settings when the transport is tls', () => {
    const issue = issueAt(issuesOf({ listeners: [{ protocol: 'stomp', port: 1, transport: 'tls' }] }), ['listeners', 0, 'tls']);
    expect(issue.message).to.equal('missing required key "tls"');
  });

  it('reports every problem at once, in the order they are written', () => {
    const issues = issuesOf({
      listners: [],
      listeners: [{ protocol: 'stomp', port: 'abc', transport: 'udp' }],
      routing: { rules: [{ match: '(', type: 'queue' }], cacheSize: -1 },
      log: { level: 'loud' },
    });
    expect(issues.map((i) => i.path)).to.deep.equal([
      ['listners'],
      ['listeners', 0, 'port'],
      ['listeners', 0, 'transport'],
      ['routing', 'rules', 0, 'match'],
      ['routing', 'cacheSize'],
      ['log', 'level'],
    ]);
  });

  it('reports one issue for a plugin entry that fits none of the forms', () => {
    const issues = issuesOf({ plugins: [42, { use: 'x', optons: {} }] });
    expect(issues).to.have.length(2);
    expect(issueAt(issues, ['plugins', 0]).expected).to.equal('a string or a mapping (key: value)');
    expect(issueAt(issues, ['plugins', 1, 'optons']).hint).to.equal('did you mean "options"?');
  });

  it('says the config must be a mapping when it is not one', () => {
    const [issue] = issuesOf(['a']);
    expect(issue!.path).to.deep.equal([]);
    expect(issue!.message).to.match(/^the config must be a mapping/);
  });

  it('throws a ConfigError naming the file and the line of each problem', () => {
    const source: ConfigSource = {
      filepath: '/etc/wharf/wharf.config.yaml',
      locate: (path) => (path.join('.') === 'log.level' ? { line: 7, column: 10 } : undefined),
    };
    let error: unknown;
    try {
      validateConfig({ log: { level: 'loud' } }, source);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).code).to.equal(ErrorCodes.CONFIG);
    expect((error as ConfigError).message).to.contain('/etc/wharf/wharf.config.yaml:7:10 log.level: not one of the allowed values');
  });

  it('describes every property of the schema', () => {
    const missing: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const properties = (node as { properties?: Record<string, unknown> }).properties ?? {};
      for (const [key, child] of Object.entries(properties)) {
        if (typeof (child as { description?: unknown }).description !== 'string') missing.push(`${where}.${key}`);
        walk(child, `${where}.${key}`);
      }
      for (const sub of ['items', 'additionalProperties'] as const) walk((node as Record<string, unknown>)[sub], `${where}.${sub}`);
      for (const branch of ((node as { anyOf?: unknown[] }).anyOf ?? [])) walk(branch, where);
    };
    walk(brokerConfigSchema, '');
    expect(missing).to.deep.equal([]);
  });
});

describe('checkAgainstSchema', () => {
  const schema = {
    type: 'object',
    properties: {
      capacity: { type: 'integer', minimum: 1, default: 1000, description: 'the most messages held' },
      overflow: { enum: ['reject', 'drop-oldest'], default: 'reject', description: 'what happens when full' },
    },
    additionalProperties: false,
  };

  it('applies the schema defaults and leaves the input unchanged', () => {
    const input = { capacity: 5 };
    expect(checkAgainstSchema(schema, input, ['plugins', 2, 'options'], 'options of plugin x')).to.deep.equal({
      value: { capacity: 5, overflow: 'reject' },
      issues: [],
    });
    expect(input).to.deep.equal({ capacity: 5 });
  });

  it('checks an absent value as {}', () => {
    expect(checkAgainstSchema(schema, undefined, ['plugins', 0, 'options'], 'options of plugin x').value).to.deep.equal({
      capacity: 1000,
      overflow: 'reject',
    });
  });

  it('reports problems at their place in the config file', () => {
    const { issues } = checkAgainstSchema(
      schema,
      { capacity: 0, overflw: 'drop-oldest' },
      ['routing', 'rules', 3, 'options'],
      'settings of queue type queue',
    );
    expect(issues.map((i) => i.path)).to.deep.equal([
      ['routing', 'rules', 3, 'options', 'capacity'],
      ['routing', 'rules', 3, 'options', 'overflw'],
    ]);
    expect(issues[0]!.hint).to.equal('the most messages held');
    expect(issues[1]!.hint).to.equal('did you mean "overflow"?');
  });

  it('names what was checked when the value is not even a mapping', () => {
    const { issues } = checkAgainstSchema(schema, 'big', ['plugins', 1, 'options'], 'options of plugin x');
    expect(issues).to.have.length(1);
    expect(issues[0]!.path).to.deep.equal(['plugins', 1, 'options']);
    expect(issues[0]!.message).to.equal('options of plugin x must be a mapping (key: value)');
  });

  it('blames the plugin, not the config, for a schema that does not compile', () => {
    expect(() => checkAgainstSchema({ type: 'no-such-type' }, {}, ['plugins', 0, 'options'], 'options of plugin x'))
      .to.throw(WharfError, /options of plugin x/)
      .with.property('code', ErrorCodes.PLUGIN_INVALID);
  });

  it('accepts two schemas with the same $id', () => {
    const a = { $id: 'https://example.com/same.json', type: 'object', properties: { a: { type: 'string' } } };
    const b = { $id: 'https://example.com/same.json', type: 'object', properties: { b: { type: 'string' } } };
    expect(checkAgainstSchema(a, { a: 'x' }, [], 'a').issues).to.deep.equal([]);
    expect(checkAgainstSchema(b, { b: 1 }, [], 'b').issues).to.have.length(1);
  });
});
