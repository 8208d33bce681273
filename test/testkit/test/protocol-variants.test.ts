/**
 * `wharf plugin check` fails each broken protocol adapter, naming the check that catches its bug.
 * Each module in broken/protocol/ is a protocol plugin that breaks one adapter in one way: the
 * streaming line protocol of broken/protocol/line/, or the request/response HTTP-lite adapter of
 * broken/protocol/http-lite/. Each is checked through the CLI (plugin-check.ts) with its family's
 * profile (profiles/line.ts, profiles/http-lite.ts: the driver) and must exit 1 with the `✗` line
 * of the check its row names. Each control, its adapter unbroken, passes every check with the same
 * profile, so a failure is the variant's doing. A variant in the folder without a row fails.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { expectCaught, expectPassed, pluginCheck, variantsIn } from './plugin-check.js';
import { variant } from './support.js';

type Family = 'line' | 'http-lite';

interface Row {
  readonly family: Family;
  readonly bug: string;
  readonly caughtBy: string;
}

/** broken/protocol/<variant> -> its family, its bug, and the check (a part of its title) that catches it. */
const VARIANTS: Readonly<Record<string, Row>> = {
  'trusts-known-login': { family: 'line', bug: 'skips the security check for a login it has seen', caughtBy: 'asks the security plugins on every connect, even while the same user is connected' },
  'drops-under-backpressure': { family: 'line', bug: 'drops messages under backpressure', caughtBy: 'stops delivering to a client that stops reading; after it reads again nothing is lost' },
  'stays-open-on-malformed': { family: 'line', bug: 'does not close on a malformed frame', caughtBy: 'answers input that breaks the protocol with an error and a close; other clients carry on' },
  'leaks-session': { family: 'line', bug: 'leaks a session on disconnect', caughtBy: 'a closed client\'s session leaves the broker, which keeps serving' },
  'reorders-deliveries': { family: 'line', bug: 'delivers out of order', caughtBy: 'queue: holds messages for the first subscriber, then gives each message to one subscriber' },
  'greedy-poll': { family: 'http-lite', bug: 'takes more messages than a poll answers with', caughtBy: 'queue: a poll takes the held messages in order, at most max; the rest wait for the next poll' },
  'keeps-request-session': { family: 'http-lite', bug: 'keeps a request\'s session after the answer', caughtBy: 'runs a request in a session of the user it names, and closes it once answered' },
  'polls-for-gone-clients': { family: 'http-lite', bug: 'keeps polling for a client that went away', caughtBy: 'a long poll whose client goes away closes its session and takes no message' },
};

const profileOf = (family: Family): string => fileURLToPath(new URL(`./profiles/${family}.js`, import.meta.url));

describe('wharf plugin check fails each broken protocol adapter, naming the check', function () {
  this.timeout(180_000);
  const found = variantsIn('protocol');

  for (const family of ['line', 'http-lite'] as const) {
    it(`passes the ${family} control (broken/protocol/${family}/index), its adapter unbroken, on every check`, async () => {
      expectPassed(await pluginCheck(variant(`protocol/${family}/index`), { profile: profileOf(family) }));
    });
  }

  it('has a row for every variant in broken/protocol/, and a variant for every row', () => {
    expect(found.filter((v) => !(v in VARIANTS)), 'variants with no row in VARIANTS').to.deep.equal([]);
    expect(Object.keys(VARIANTS).filter((v) => !found.includes(v)), 'rows with no variant').to.deep.equal([]);
  });

  for (const name of found.filter((v) => v in VARIANTS)) {
    const { family, bug, caughtBy } = VARIANTS[name]!;
    it(`exits 1 for an adapter that ${bug} (${name}), with ✗ "${caughtBy}"`, async () => {
      expectCaught(await pluginCheck(variant(`protocol/${name}`), { profile: profileOf(family) }), [caughtBy]);
    });
  }
});
