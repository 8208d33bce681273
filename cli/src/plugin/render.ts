/**
 * Copies a template tree into the new package, filling in its placeholders: `__PACKAGE__` (the
 * package name), `__NAME__` (the name the plugin registers), `__CORE_RANGE__`. Template files
 * named `gitignore` and `npmrc` become `.gitignore` and `.npmrc`: npm leaves those two out of the
 * CLI's own package under their real names.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const DOT_FILES = new Set(['gitignore', 'npmrc']);

export type Placeholders = Readonly<Record<'__PACKAGE__' | '__NAME__' | '__CORE_RANGE__', string>>;

export function fill(text: string, values: Placeholders): string {
  return text.replace(/__(PACKAGE|NAME|CORE_RANGE)__/g, (key) => values[key as keyof Placeholders]);
}

/** Writes every file of `from` (recursively) under `to`; returns the paths written, relative to `to`. */
export async function renderTree(from: string, to: string, values: Placeholders, prefix = ''): Promise<string[]> {
  const written: string[] = [];
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const name = DOT_FILES.has(entry.name) ? `.${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      await mkdir(join(to, name), { recursive: true });
      written.push(...await renderTree(source, join(to, name), values, `${prefix}${name}/`));
    } else {
      await writeFile(join(to, name), fill(await readFile(source, 'utf8'), values));
      written.push(`${prefix}${name}`);
    }
  }
  return written;
}
