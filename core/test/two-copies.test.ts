/**
 * A plugin that brings its own copy of @wharf/core must still agree with the broker's copy: the
 * DI tokens are registry symbols and WharfError is recognised by its brand. The second copy is
 * core's compiled tree copied to another folder and imported from there (new module instances).
 */
import { expect } from 'chai';
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as first from '../src/index.js';

type Core = typeof first;
const silent = first.createLogger('silent');

describe('two copies of core in one process', () => {
  const copyDir = new URL('../copy-2/', import.meta.url);
  let second: Core;

  before(async () => {
    // A package of its own inside core/dist, so the copy resolves core's dependencies as the original does.
    cpSync(fileURLToPath(new URL('../../package.json', import.meta.url)), fileURLToPath(new URL('package.json', copyDir)));
    cpSync(fileURLToPath(new URL('../src/', import.meta.url)), fileURLToPath(new URL('dist/src/', copyDir)), { recursive: true });
    second = await import(new URL('dist/src/index.js', copyDir).href) as Core;
  });
  after(() => rmSync(fileURLToPath(copyDir), { recursive: true, force: true }));

  it('are really two copies', () => {
    expect(second.WharfError).to.not.equal(first.WharfError);
    expect(second.Broker).to.not.equal(first.Broker);
  });

  it('agree on every DI token', () => {
    for (const [name, token] of Object.entries(first.Tokens)) {
      expect(second.Tokens[name as keyof Core['Tokens']], name).to.equal(token);
    }
  });

  it('recognise each other\'s errors: instanceof WharfError and isWharfError, with the code', () => {
    const theirs = new second.WharfError(second.ErrorCodes.OVERFLOW, 'full');
    expect(theirs).to.be.instanceOf(first.WharfError);
    expect(first.isWharfError(theirs, first.ErrorCodes.OVERFLOW)).to.equal(true);
    expect(first.toWharfError(theirs, first.ErrorCodes.STORE, 'x')).to.equal(theirs);
    expect(new first.WharfError(first.ErrorCodes.LIMIT, 'x')).to.be.instanceOf(second.WharfError);
    expect(new Error('plain')).to.not.be.instanceOf(first.WharfError);
    expect(first.isWharfError({ code: 'WHARF_ERR_LIMIT', message: 'look-alike' })).to.equal(false);
    // A subclass keeps the ordinary prototype check.
    expect(theirs).to.not.be.instanceOf(first.ConfigError);
  });

  it('lets a plugin made with the other copy register a queue type under its tokens', async () => {
    const plugin = second.definePlugin({ kind: 'queue-type', name: 'from-copy-2', core: '>=0.1.0' }, (ctx) => {
      ctx.container.register(second.Tokens.QueueType, {
        useValue: {
          type: 'elsewhere',
          create: (name) => {
            const refuse = () => { throw new second.WharfError(second.ErrorCodes.OVERFLOW, `${name} refuses everything`); };
            return {
              name, type: 'elsewhere', publish: refuse, attach: refuse, purge: () => 0, close: () => undefined,
              stats: () => ({ subscribers: 0, depth: 0, unacked: 0, enqueued: 0, delivered: 0, dropped: 0 }),
            };
          },
        },
      });
    });
    const broker = await first.Broker.create({
      plugins: [plugin as never],
      routing: { prefixes: { '/queue/': 'elsewhere', '/topic/': 'elsewhere', '/pubsub/': 'elsewhere', '/command/': 'elsewhere' }, fallback: 'elsewhere' },
    }, { logger: silent });
    await broker.start();
    try {
      const err = (() => {
        try {
          broker.mqm.publish('/queue/x', {}, Buffer.alloc(0));
        } catch (e) {
          return e;
        }
      })();
      expect(err).to.be.instanceOf(first.WharfError).with.property('code', first.ErrorCodes.OVERFLOW);
    } finally {
      await broker.stop();
    }
  });
});
