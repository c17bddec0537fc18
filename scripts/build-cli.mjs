// Compiles the command line into dist/cli/ (run by `npm ci` through `prepare`, and by the test
// runner before a suite), so that a command starts as plain JavaScript instead of transpiling
// TypeScript at every start. Packages stay outside the bundle, and the modules a command loads on
// use (a store's client, the server, the demo generator) stay in chunks of their own, loaded
// only when that command needs them. Plain JavaScript so that it needs nothing but esbuild.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/cli`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outdir,
  // Chunks beside main.js: code that finds files relative to its own module (the dashboard's
  // build, package.json) is two folders below the root in src/ and in dist/ alike.
  chunkNames: '[name]-[hash]',
  logLevel: 'warning',
});
