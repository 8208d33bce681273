/** Helpers of the testkit's own tests: where the broken variants and the in-repo packages are. */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** A compiled broken variant, by its path under broken/ (`queue-types/fan-out`). */
export const variant = (name: string): string => fileURLToPath(new URL(`./broken/${name}.js`, import.meta.url));

/** An installed package's folder, as `wharf plugin check <folder>` is given it. */
export const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));
