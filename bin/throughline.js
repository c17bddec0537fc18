#!/usr/bin/env node
// Runs the TypeScript CLI directly: no build step between a clone and `npx throughline`.
// It calls run() itself rather than relying on main.ts's own "am I the entry point" test:
// npx starts this file through a symlink in its cache, a path that names neither file.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
