import { fileURLToPath } from 'node:url';
import { describeStore } from '@wharf/testkit';
import { createStore } from './child-store.js';

describeStore('sqlite', {
  create: createStore,
  childModule: fileURLToPath(new URL('./child-store.js', import.meta.url)),
});
