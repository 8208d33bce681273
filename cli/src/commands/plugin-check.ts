/**
 * `wharf plugin check <folder or package>`: loads the plugin exactly as the broker would (core's
 * loader), runs the conformance suite of each thing it registers with the options of its
 * conformance profile (`"wharf": { "conformance": "./dist/src/conformance.js" }` in its
 * package.json, or the one `--profile` names), prints one line per check and a summary.
 * Exit 0: every check passed and nothing was left unchecked (a queue type whose profile says it
 * has nothing to check is not a gap); 1: a check failed, or something could not be checked, or
 * nothing at all was; 2: the plugin or its profile could not be loaded.
 *
 * @wharf/testkit (and with it mocha) is imported here, on use, so `wharf start` never loads it.
 */
import { resolve } from 'node:path';
import { ErrorCodes, WharfError, loadPlugins } from '@wharf/core';
import { prepareBroker } from '../load.js';
import { describeFailure } from '../output.js';
import { checkTarget } from '../plugin/target.js';

export interface PluginCheckOptions {
  readonly config?: string;
  /** Runs only the checks whose title contains this text. */
  readonly grep?: string;
  /** Leaves out the checks whose title contains any of these texts. */
  readonly skip?: readonly string[];
  /**
   * The conformance profile to use instead of the plugin package's own: a package folder (its
   * `wharf.conformance`) or a profile module. For a plugin file outside any package with a profile.
   */
  readonly profile?: string;
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
    const profileFrom = options.profile !== undefined ? resolve(process.cwd(), options.profile) : target.packageDir;
    const profile = profileFrom === undefined ? undefined : await loadProfile(loadConformanceProfile, profileFrom);
    const grep = checksRegExp(options.grep, options.skip ?? []);
    run = await runConformance({ plugins: [target.entry], configDir: target.configDir }, profile, {
      onResult: (r) => out(r.passed ? `✓ ${r.suite} › ${r.title}` : `✗ ${r.suite} › ${r.title}: ${firstLine(r.error ?? 'failed')}`),
      ...(grep ? { grep } : {}),
    });
  } catch (e) {
    err(describeFailure(e));
    return 2;
  }
  out(`${run.passed} passed, ${run.failed} failed`);
  for (const reason of run.nothingToCheck) out(`nothing to check for ${reason}`);
  for (const reason of run.unchecked) out(`not checked: ${reason}`);
  const checkedAll = run.unchecked.length === 0 && (run.passed > 0 || run.nothingToCheck.length > 0);
  return run.failed > 0 || !checkedAll ? 1 : 0;
}

/** `--grep a --skip b --skip c` → checks whose title contains a and neither b nor c. */
function checksRegExp(grep: string | undefined, skip: readonly string[]): RegExp | undefined {
  if (grep === undefined && skip.length === 0) return undefined;
  const without = skip.length > 0 ? `(?!.*(?:${skip.map(escapeRegExp).join('|')}))` : '';
  return new RegExp(`^${without}.*${grep === undefined ? '' : escapeRegExp(grep)}`, 's');
}

/** A check's line stays one line: the rest of a long assertion message (a diff) is left out. */
function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline < 0 ? text : `${text.slice(0, newline)} …`;
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
