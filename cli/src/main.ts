/** The `wharf` command line, parsed by commander. Returns the exit code. */
import { Command, CommanderError } from 'commander';
import { CORE_VERSION } from '@wharf/core';
import { aclExplain, type AclExplainOptions } from './commands/acl-explain.js';
import { configCheck } from './commands/config-check.js';
import { pluginCheck, type PluginCheckOptions } from './commands/plugin-check.js';
import { pluginNew, type PluginNewOptions } from './commands/plugin-new.js';
import { routesExplain } from './commands/routes-explain.js';
import { start } from './commands/start.js';
import { usersAdd, usersRemove, type UsersOptions } from './commands/users.js';
import { describeFailure } from './output.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** `--group a --group b,c` → [a, b, c]: repeatable, so a positional argument after it is never taken for a group. */
const collectGroups = (value: string, previous: string[] = []): string[] =>
  [...previous, ...value.split(',').map((g) => g.trim()).filter(Boolean)];

const processIo: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

export function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const configOption = ['-c, --config <file>', 'the config file (default: search the current folder, then the shipped default)'] as const;
  const program = new Command('wharf')
    .description('Wharf, a message broker whose destinations are typed by plugins')
    .version(CORE_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program.command('start')
    .description('start the broker and run until SIGINT/SIGTERM')
    .option(...configOption)
    .action(async (opts: { config?: string }) => setCode(await start(opts)));

  const config = program.command('config').description('work with the config file');
  config.command('check')
    .description('validate the config file and its plugins; prints every problem with its line')
    .option(...configOption)
    .action(async (opts: { config?: string }) => setCode(await configCheck(opts, io.out)));

  const routes = program.command('routes').description('inspect destination routing');
  routes.command('explain')
    .description('print which rule, prefix or fallback decides the queue type of NAME')
    .argument('<name>', 'a destination name, e.g. /queue/orders')
    .option(...configOption)
    .action(async (name: string, opts: { config?: string }) => setCode(await routesExplain(name, opts, io.out)));

  // Security (docs/security.md). The users file and the ACL rules are found in the config's
  // security plugins unless --file names one.
  const users = program.command('users').description('edit the users file of @wharf/security-users (a running broker re-reads it)');
  users.command('add')
    .description('add a user, or change its password and groups; asks for the password (or reads it from stdin)')
    .argument('<name>', 'the user name')
    .option('-g, --group <group>', 'a group of the user (repeat, or separate with commas)', collectGroups)
    .option('-f, --file <file>', 'the users file (default: the one the config names)')
    .option(...configOption)
    .action(async (name: string, opts: UsersOptions) => setCode(await usersAdd(name, opts, process.stdin, process.stderr, io.out, io.err)));
  users.command('remove')
    .description('remove a user')
    .argument('<name>', 'the user name')
    .option('-f, --file <file>', 'the users file (default: the one the config names)')
    .option(...configOption)
    .action(async (name: string, opts: UsersOptions) => setCode(await usersRemove(name, opts, io.out, io.err)));

  const acl = program.command('acl').description('inspect the rules of @wharf/security-acl');
  acl.command('explain')
    .description('print the rights a client logged in as USER has on DESTINATION, as the broker decides them (groups from the users file), and the rules that gave them (exit 1: no right)')
    .argument('<destination>', 'a destination name, e.g. /queue/orders')
    .requiredOption('-u, --user <name>', 'the user name ("anonymous" for clients without credentials)')
    .option('-g, --group <group>', 'what if the user had this group (repeat, or separate with commas); with --file, the groups used', collectGroups)
    .option('-f, --file <file>', 'a rules file to read instead of the config')
    .option(...configOption)
    .action(async (destination: string, opts: AclExplainOptions) => setCode(await aclExplain(destination, opts, io.out)));

  // Plugins written outside this repo (docs/publishing-plugins.md).
  const plugin = program.command('plugin').description('write and check plugins');
  plugin.command('new')
    .description('write a plugin package whose tests run its kind\'s conformance suite (kinds: queue-type, protocol, authenticator, authorizer, store)')
    .argument('<kind>', 'queue-type | protocol | authenticator | authorizer | store')
    .argument('<name>', 'the npm package name, e.g. wharf-queue-priority')
    .option('-d, --dir <dir>', 'the folder to write (default: ./<name>); must be empty or missing')
    .option('--js', 'plain ESM JavaScript with JSDoc types instead of TypeScript')
    .action(async (kind: string, name: string, opts: PluginNewOptions) => setCode(await pluginNew(kind, name, opts, io.out, io.err)));
  plugin.command('check')
    .description('load a plugin as the broker would and run its conformance suites (exit 1: a check failed; 2: it cannot be loaded)')
    .argument('<plugin>', 'a plugin folder or file, or an installed package name')
    .option('-c, --config <file>', 'a config that lists the plugin: its options there are used, and paths are relative to it')
    .option('--grep <text>', 'run only the checks whose title contains TEXT')
    .option('--skip <text>', 'leave out the checks whose title contains TEXT (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--profile <path>', 'the conformance profile to use: a package folder (its package.json names it) or a profile module')
    .action(async (target: string, opts: PluginCheckOptions) => setCode(await pluginCheck(target, opts, io.out, io.err)));
  return program;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; });
  // `npx wharf` alone asks what there is: the help, on stdout, and success (commander's own answer
  // is the help on stderr with exit code 1, as for a usage error).
  if (argv.length <= 2) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(describeFailure(err));
    return 1;
  }
}
