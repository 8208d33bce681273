import { describeStore } from '@wharf/testkit';
import { MemoryStore } from '../src/index.js';

// The instance is the "disk": reopening a folder gives back the same instance.
const disks = new Map<string, MemoryStore>();

describeStore('memory', {
  create(dir) {
    let store = disks.get(dir);
    if (store === undefined) disks.set(dir, (store = new MemoryStore()));
    return store;
  },
});
