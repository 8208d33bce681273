/**
 * `wharf plugin check <folder or package>`: loads the plugin exactly as the broker would (core's
 * loader), runs the conformance suite of each thing it registers with the options of its
 * conformance profile (`"wharf": { "conformance": "./dist/src/conformance.js" }` in its
 * package.json), prints one line per check and a summary. Exit 0: every check passed; 1: a check
 * failed, or nothing could be checked; 2: the plugin or its profile could not be loaded.
 *
 * @wharf/testkit (and with it mocha) is imported here, on use, so `wharf start` never loads it.
 */
import { ErrorCodes, WharfError, loadPlugins } from '@wharf/core';
import { prepareBroker } from '../load.js';
import { describeFailure } from '../output.js';
import { checkTarget } from '../plugin/target.js';

export interface PluginCheckOptions {
  readonly config?: string;
  readonly grep?: string;
}

export async function pluginCheck(plugin: string, options: PluginCheckOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const { runConformance, loadConformanceProfile } = await import('@wharf/testkit/run-conformance');
  let run: Awaited<ReturnType<typeof runConformance>>;
  try {
    const target = await checkTarget(plugin, options.config, process.cwd());
    // With --config, the config is checked first as the broker would: a bad option of the plugin
    // is reported with its line in the file.
    if (target.config) await prepareBroker(target.config);
    // First as the broker loads it (this is where loading fails, with its cause); from then on
    // every @wharf/core import, the conformance profile's included, gets this broker's core.
    await loadPlugins([target.entry], target.configDir);
    const profile = target.packageDir === undefined ? undefined : await loadProfile(loadConformanceProfile, target.packageDir);
    run = await runConformance({ plugins: [target.entry], configDir: target.configDir }, profile, {
      onResult: (r) => out(r.passed ? `✓ ${r.suite} › ${r.title}` : `✗ ${r.suite} › ${r.title}: ${r.error ?? 'failed'}`),
      ...(options.grep ? { grep: new RegExp(escapeRegExp(options.grep)) } : {}),
    });
  } catch (e) {
    err(describeFailure(e));
    return 2;
  }
  out(`${run.passed} passed, ${run.failed} failed`);
  for (const reason of run.unchecked) out(`not checked: ${reason}`);
  return run.failed > 0 || run.passed === 0 ? 1 : 0;
}

async function loadProfile<T>(load: (dir: string) => Promise<T>, packageDir: string): Promise<T> {
  try {
    return await load(packageDir);
  } catch (e) {
    throw new WharfError(ErrorCodes.PLUGIN_INVALID, `the conformance profile of ${packageDir} could not be loaded: ${(e as Error).message}`, {
      cause: e,
      hint: 'build the plugin (npm run build) and check the path in package.json "wharf": { "conformance": ... }',
      details: { packageDir },
    });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
