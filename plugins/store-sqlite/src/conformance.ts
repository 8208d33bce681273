/**
 * This package's conformance profile (package.json `wharf.conformance`), read by `wharf plugin
 * check` and @wharf/testkit's runConformance(): a store kept in a folder is the plugin loaded as
 * the broker loads it (`load`, given by the runner) with its file in that folder. The kill -9
 * check's child process opens the store with this module's createStore().
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '@wharf/core';
import { SqliteStore } from './sqlite-store.js';

interface Setup {
  readonly load?: (options?: Record<string, unknown>, configDir?: string) => Promise<Store>;
}

/** For the crash check's child process (describeStore's childModule). */
export function createStore(dir: string): SqliteStore {
  return new SqliteStore({ path: join(dir, 'wharf.db') });
}

async function create(dir: string, { load }: Setup): Promise<Store> {
  if (load === undefined) throw new Error('this profile is run by @wharf/testkit runConformance(), which gives load()');
  return load({ path: join(dir, 'wharf.db') });
}

export default {
  stores: {
    sqlite: { create, childModule: fileURLToPath(import.meta.url) },
  },
};
