/**
 * The spill files behind QueueContext.pager (core/src/mqm/pager.ts): what is written comes back as
 * it was, many messages per read, in order; reset empties the file; close removes it; a failure
 * is a WharfError STORE; the broker's directory goes at close.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createLogger, ErrorCodes, type Message } from '../../src/index.js';
import { PageDirectory, defaultPageOutBytes, MIN_PAGE_OUT_BYTES } from '../../src/mqm/pager.js';

const silent = createLogger('silent');

function message(i: number, bytes = 100): Message {
  return {
    id: `id-${i}`, destination: '/queue/ü', timestamp: 1_700_000_000_000 + i, persistent: i % 2 === 0,
    headers: { n: String(i), 'content-type': 'text/plain; charset=utf-8', 'x-ünïcode': 'ß' }, body: Buffer.alloc(bytes, i % 256),
  };
}

describe('pager: spill files', () => {
  let root: string;
  let pages: PageDirectory;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wharf-pager-test-'));
    pages = new PageDirectory(root, 4 * 1024 * 1024, silent);
  });
  afterEach(async () => {
    await pages.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives back, with one read, exactly the messages written between two places, in order', async () => {
    const pager = pages.pagerFor('/queue/a');
    const first = pager.write([message(0), message(1), message(2, 0)]);
    const second = pager.write([message(3, 70_000), message(4)]);
    expect(first.offsets[0]).to.equal(0);
    expect(second.offsets[0], 'the second run starts where the first ends').to.equal(first.end);
    await Promise.all([first.written, second.written]);
    expect(await pager.read(0, second.end)).to.deep.equal([0, 1, 2, 3, 4].map((i) => message(i, i === 2 ? 0 : i === 3 ? 70_000 : 100)));
    expect(await pager.read(first.offsets[1]!, second.offsets[1]!)).to.deep.equal([message(1), message(2, 0), message(3, 70_000)]);
  });

  it('reads what was asked for after a write without waiting for it by hand (operations run in order)', async () => {
    const pager = pages.pagerFor('/queue/a');
    const run = pager.write([message(7)]);
    expect(await pager.read(run.offsets[0]!, run.end)).to.deep.equal([message(7)]);
  });

  it('empties the file on reset (places start at 0 again) and removes it on close', async () => {
    const pager = pages.pagerFor('/queue/a');
    await pager.write([message(0, 10_000)]).written;
    const [file] = readdirSync(pages.path);
    expect(statSync(join(pages.path, file!)).size).to.be.greaterThan(10_000);
    pager.reset();
    const after = pager.write([message(1)]);
    expect(after.offsets[0]).to.equal(0);
    await after.written;
    expect(await pager.read(0, after.end)).to.deep.equal([message(1)]);
    expect(statSync(join(pages.path, file!)).size).to.equal(after.end);
    pager.close();
    await pages.close();
    expect(existsSync(pages.path), 'the directory goes with the broker').to.equal(false);
  });

  it('refuses to work once closed, with a WharfError', async () => {
    const pager = pages.pagerFor('/queue/a');
    pager.close();
    const err = await pager.write([message(0)]).written.then(() => undefined, (e: unknown) => e as { code: string });
    expect(err?.code).to.equal(ErrorCodes.CLOSED);
  });

  it('rejects with WHARF_ERR_STORE, naming the directory, when the file cannot be made', async () => {
    const blocked = new PageDirectory(join(root, 'no-such-parent', 'x'), MIN_PAGE_OUT_BYTES, silent);
    rmSync(root, { recursive: true, force: true });
    // The directory is made on the first write: make its parent a file so that fails.
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(root);
    writeFileSync(join(root, 'no-such-parent'), 'a file, not a folder');
    let err: { code?: string; hint?: string } | undefined;
    try {
      await blocked.pagerFor('/queue/a').write([message(0)]).written;
    } catch (e) {
      err = e as { code?: string; hint?: string };
    }
    expect(err?.code).to.equal(ErrorCodes.STORE);
    expect(err?.hint).to.include('store.pageDirectory');
  });

  it('defaults the page-out threshold to 10% of the memory high-watermark, at least 1 MiB', () => {
    expect(defaultPageOutBytes(2 * 1024 * 1024 * 1024)).to.equal(Math.floor(0.2 * 1024 * 1024 * 1024));
    expect(defaultPageOutBytes(1000)).to.equal(MIN_PAGE_OUT_BYTES);
  });
});
