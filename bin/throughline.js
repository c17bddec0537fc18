#!/usr/bin/env node
// Starts the compiled command line (dist/cli/, built by `npm ci` through `prepare`), or the
// TypeScript sources through tsx when there is no build or a source file is newer than it (a
// developer's edit must never run stale code). It calls main() itself rather than relying on
// main.ts's own "am I the entry point" test: npx starts this file through a symlink in its
// cache, a path that names neither file.
import { readdirSync, statSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);

/** The newest modification time of a file under dir (a few hundred stats: about a millisecond). */
function newest(dir) {
  let latest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = new URL(e.name + (e.isDirectory() ? '/' : ''), dir);
    latest = Math.max(latest, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

function builtIsCurrent() {
  try {
    return statSync(built).mtimeMs >= newest(new URL('../src/', import.meta.url));
  } catch {
    return false;
  }
}

let main;
if (process.env.THROUGHLINE_FROM_SOURCE !== '1' && builtIsCurrent()) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv.slice(2));
