/** `wharf config check`: validates the file, loads its plugins and checks what refers to them. */
import { loadBrokerConfig, prepareBroker, type ConfigOption } from '../load.js';

export async function configCheck(options: ConfigOption, out: (line: string) => void): Promise<number> {
  const loaded = await loadBrokerConfig(options);
  await prepareBroker(loaded);
  out(`${loaded.filepath}: ok`);
  return 0;
}
