/** Broken: claims recovery() but forgets its record at every restart (a crash would look like a clean stop). */
import type { StoredRecovery } from '@wharf/core';
import { brokenStore, WrappedStore } from '../support/store-variant.js';

export default brokenStore('forgets-recovery', () => new class extends WrappedStore {
  private opens = 0;

  override async setup(): Promise<void> {
    this.opens++;
    await this.inner.setup();
  }

  override async recovery(): Promise<StoredRecovery> {
    // What was written before the last reopen is lost.
    return this.opens > 1 ? { clean: true, horizons: new Map() } : this.inner.recovery();
  }
}());
