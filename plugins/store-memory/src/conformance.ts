/**
 * This package's conformance profile (package.json `wharf.conformance`), read by `wharf plugin
 * check` and @wharf/testkit's runConformance(). The memory store's instance is its "disk": the
 * plugin is loaded once per folder (`load`, given by the runner, as the broker loads it) and a
 * reopen of the same folder gets the same instance back, as a broker restarted on it would.
 */
import type { Store } from '@wharf/core';

interface Setup {
  readonly load?: (options?: Record<string, unknown>, configDir?: string) => Promise<Store>;
}

const disks = new Map<string, Store>();

async function create(dir: string, { load }: Setup): Promise<Store> {
  if (load === undefined) throw new Error('this profile is run by @wharf/testkit runConformance(), which gives load()');
  let store = disks.get(dir);
  if (store === undefined) disks.set(dir, (store = await load()));
  return store;
}

export default {
  stores: {
    memory: { create },
  },
};
