// @ts-check
/** The code in the guides is the code of the examples, and the contract they show is core's. */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { GUIDES, blocksOf, check, interfaceMembers, quoted } from '../quotes.mjs';

const guide = readFileSync(new URL('../../writing-a-queue-type.md', import.meta.url), 'utf8');

describe('docs/tools/quotes.mjs: the guides\' code blocks', () => {
  it('match the example files they quote, and core\'s interfaces they condense', () => {
    expect(check()).to.deep.equal([]);
  });

  it('quote both priority packages, TypeScript and JavaScript, and their config and tests', () => {
    expect(GUIDES).to.include('writing-a-queue-type.md');
    const targets = blocksOf(guide).filter((b) => b.kind === 'quote').map((b) => b.target);
    for (const part of ['examples/queue-priority/src/', 'examples/queue-priority-js/src/', 'examples/queue-priority/test/', 'examples/queue-priority/wharf.config.yaml']) {
      expect(targets.some((t) => t.startsWith(part)), `a quote from ${part}`).to.equal(true);
    }
  });

  it('show the whole contract: every interface a queue type implements or is handed', () => {
    const shown = Object.assign({}, ...blocksOf(guide).filter((b) => b.kind === 'contract').map((b) => interfaceMembers(b.body)));
    for (const name of ['QueueType', 'Destination', 'Consumer', 'Subscription', 'Delivery', 'Message', 'StoredMessage', 'QueueContext', 'DurableLog', 'FlowSignal', 'SessionInfo', 'DestinationStats']) {
      expect(shown, name).to.have.property(name);
    }
  });

  it('notice a member missing from a condensed interface, or one too many', () => {
    const real = interfaceMembers('interface A {\n  readonly x: number;\n  f(a: (b: string) => void): Promise<void>;\n  g?(): void;\n}');
    expect(real).to.deep.equal({ A: ['f', 'g', 'x'] });
    expect(interfaceMembers('interface A { x: number; f(): void }')).to.not.deep.equal(real);
  });

  it('take a region without its markers and without the indentation it has in the file', () => {
    const region = quoted('examples/queue-priority/src/subscription.ts#ready');
    expect(region.startsWith('/**\n')).to.equal(true);
    expect(region).to.contain('get ready(): boolean {');
    expect(region).to.not.contain('#region');
    expect(() => quoted('examples/queue-priority/src/subscription.ts#no-such-region')).to.throw(/no region "no-such-region"/);
  });
});
