/** The `wharf` command line, parsed by commander. Returns the exit code. */
import { Command, CommanderError } from 'commander';
import { CORE_VERSION } from '@wharf/core';
import { configCheck } from './commands/config-check.js';
import { routesExplain } from './commands/routes-explain.js';
import { start } from './commands/start.js';
import { describeFailure } from './output.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

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
  return program;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(describeFailure(err));
    return 1;
  }
}
