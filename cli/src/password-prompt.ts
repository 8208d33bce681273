/**
 * Reading a new password for `wharf users add`: on a terminal, asked twice with echo off (raw mode,
 * nothing printed for the keys typed); otherwise the first line of standard input, so scripts can
 * pipe it in (`printf '%s\n' "$PW" | wharf users add alice`). The password is never printed.
 */
import type { Readable, Writable } from 'node:stream';
import { passwordLimitProblem } from '@wharf/security-users';

export interface PasswordInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** Reads one line with echo off. Rejects on Ctrl-C or Ctrl-D. */
function askHidden(question: string, input: PasswordInput, output: Writable): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    let typed = '';
    const finish = (err?: Error): void => {
      input.setRawMode?.(false);
      input.off('data', onData);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.setRawMode?.(true);
    input.on('data', onData);
    input.resume();
  });
}

async function firstLine(input: Readable): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += chunk.toString();
    const end = text.search(/\r?\n/);
    if (end >= 0) return text.slice(0, end);
  }
  return text;
}

/**
 * The new password, confirmed on a terminal.
 * @throws when empty, when no STOMP client could send it (too long, or a CR/LF/NUL), or when the two entries differ.
 */
export async function readNewPassword(name: string, input: PasswordInput, prompts: Writable): Promise<string> {
  let password: string;
  if (input.isTTY) {
    password = await askHidden(`Password for ${name}: `, input, prompts);
    const again = await askHidden('Again: ', input, prompts);
    if (again !== password) throw new Error('the two passwords differ; nothing was changed');
  } else {
    password = await firstLine(input);
  }
  if (password.length === 0) throw new Error('the password is empty; nothing was changed');
  const problem = passwordLimitProblem(password);
  if (problem) throw new Error(`${problem}; nothing was changed`);
  return password;
}
