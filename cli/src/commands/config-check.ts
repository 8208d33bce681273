/**
 * `wharf config check`: validates the file, loads its plugins, checks what refers to them, and
 * runs what `start` checks before it opens a port (the plugins' start hooks — users and ACL files
 * load there — and the exposure check: no anonymous rights on a non-loopback listener unless
 * security.allowAnonymousRemote says so). Every problem found is printed in one run, with the
 * checks that could not run and why. Opens neither the store nor a port.
 */
import { Broker, createLogger } from '@wharf/core';
import { loadConfigAsWritten, type ConfigOption } from '../load.js';

export async function configCheck(options: ConfigOption, out: (line: string) => void): Promise<number> {
  const loaded = await loadConfigAsWritten(options);
  await Broker.checkConfig(loaded.raw, { source: loaded.source, logger: createLogger('silent') });
  out(`${loaded.filepath}: ok`);
  return 0;
}
