/**
 * @wharf/store-sqlite: the embedded durable store, one SQLite file on local disk (better-sqlite3,
 * WAL, synchronous=FULL). The shipped default config uses it at ./data/wharf.db.
 *
 *   plugins:
 *     - { use: "@wharf/store-sqlite", options: { path: ./data/wharf.db } }
 *   store: { use: sqlite }
 */
import { resolve } from 'node:path';
import { definePlugin, type JsonSchema } from '@wharf/core';
import { SqliteStore, type SynchronousMode } from './sqlite-store.js';

export { SqliteStore, type SqliteStoreOptions, type SynchronousMode } from './sqlite-store.js';

export interface SqliteStorePluginOptions {
  readonly path: string;
  readonly synchronous: SynchronousMode;
}

export const sqliteStoreOptionsSchema: JsonSchema = {
  type: 'object',
  description: 'options of the sqlite store',
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      default: './data/wharf.db',
      description:
        'the database file; a relative path is taken from the directory the broker was started in (not the config file\'s), ' +
        'so `npm start` keeps its data in ./data; the folder is created if missing; :memory: keeps nothing',
    },
    synchronous: {
      enum: ['FULL', 'EXTRA', 'NORMAL'],
      default: 'FULL',
      description: 'SQLite synchronous mode: FULL (default) fsyncs every commit; NORMAL is faster but may lose the last commits on power loss (never on a process crash)',
    },
  },
  additionalProperties: false,
};

export default definePlugin<SqliteStorePluginOptions>(
  {
    kind: 'store',
    name: 'store-sqlite',
    core: '^0.1.0',
    description: 'sqlite: durable messages in one SQLite file (WAL, synchronous=FULL, group commit)',
    optionsSchema: sqliteStoreOptionsSchema,
  },
  (ctx) => {
    const path = ctx.options.path === ':memory:' ? ':memory:' : resolve(process.cwd(), ctx.options.path);
    ctx.store(new SqliteStore({ path, synchronous: ctx.options.synchronous, logger: ctx.logger }));
  },
);
