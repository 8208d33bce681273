/** For describeStore's crash test: the child process opens the store under test with this. */
import { join } from 'node:path';
import { SqliteStore } from '../src/index.js';

export function createStore(dir: string): SqliteStore {
  return new SqliteStore({ path: join(dir, 'wharf.db') });
}
