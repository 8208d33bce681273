import { readFileSync } from 'node:fs';

/** @wharf/core's own version (from its package.json), checked against each plugin's `core` range. */
export const CORE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
