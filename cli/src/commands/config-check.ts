/**
 * `wharf config check`: validates the file, loads its plugins, checks what refers to them, and
 * runs what `start` checks before it opens a port (the plugins' start hooks — users and ACL files
 * load there — and the exposure check: no anonymous rights on a non-loopback listener unless
 * security.allowAnonymousRemote says so). Opens neither the store nor a port.
 */
import { loadBrokerConfig, prepareBroker, type ConfigOption } from '../load.js';

export async function configCheck(options: ConfigOption, out: (line: string) => void): Promise<number> {
  const loaded = await loadBrokerConfig(options);
  const broker = await prepareBroker(loaded);
  await broker.check();
  out(`${loaded.filepath}: ok`);
  return 0;
}
