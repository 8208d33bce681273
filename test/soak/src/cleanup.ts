/**
 * What must be undone however the soak ends (figures out, an attack past its deadline, Ctrl-C):
 * broker processes to kill, tmpfs mounts to unmount. Each attack registers its own and removes it
 * once done; main.ts runs whatever is left, synchronously, before it exits.
 */
const pending = new Map<number, () => void>();
let next = 0;

/** Registers an undo step; returns the function that removes it (call it when the attack undid it itself). */
export function onCleanup(undo: () => void): () => void {
  const id = next++;
  pending.set(id, undo);
  return () => pending.delete(id);
}

/** Runs every step still registered, newest first; a step that throws does not stop the others. */
export function cleanupAll(): void {
  for (const id of [...pending.keys()].reverse()) {
    try {
      pending.get(id)?.();
    } catch {
      // best effort: the process is leaving
    }
    pending.delete(id);
  }
}
