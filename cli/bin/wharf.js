#!/usr/bin/env node
// The `wharf` command. The code lives in ../dist (built by `npm run build` / `tsc -b`).
import { main } from '../dist/src/main.js';

process.exitCode = await main(process.argv);
