/**
 * Live reload of a file a plugin reads (a users file, ACL rules): calls `onChange` once the file
 * has been quiet for `debounceMs` after a change.
 *
 * The folder is watched, not the file: editors and `wharf users add` replace a file by writing a
 * new one and renaming it over the old, and a watch on the old inode would never fire again.
 * Events for other names in the folder are ignored; `filename` may be missing on some platforms,
 * so such events count as a change (a spurious re-read is harmless).
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatch {
  close(): void;
}

export function watchFile(path: string, onChange: () => void, options: { debounceMs?: number } = {}): FileWatch {
  const debounceMs = options.debounceMs ?? 100;
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
    if (closed || (filename !== null && filename !== undefined && filename.toString() !== name)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) onChange();
    }, debounceMs);
  });
  // A watch error (the folder removed) must not crash the broker: the last good contents stay.
  watcher.on('error', () => undefined);
  return {
    close: () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      watcher.close();
    },
  };
}
