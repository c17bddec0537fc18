/**
 * Finds the test files of a suite and runs them with Node's test runner (through tsx), because
 * Node 20's runner does not expand globs itself.
 *   unit: every *.test.ts under src/ and test/ except the real-data and browser suites
 *   real: test/real/ (public logs in ../shared/data; skips itself when that folder is absent)
 *   all:  both
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const suite = process.argv[2] ?? 'unit';
const root = path.resolve(import.meta.dirname, '..');

function find(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const all = [...find(path.join(root, 'src')), ...find(path.join(root, 'test'))].sort();
const isReal = (f: string): boolean => f.includes(`${path.sep}test${path.sep}real${path.sep}`);
const isBrowser = (f: string): boolean => f.includes(`${path.sep}test${path.sep}browser${path.sep}`);
const files = all.filter((f) => {
  if (suite === 'real') return isReal(f);
  if (suite === 'browser') return isBrowser(f);
  if (suite === 'all') return !isBrowser(f);
  return !isReal(f) && !isBrowser(f);
});
if (files.length === 0) {
  console.error(`no test files for suite "${suite}"`);
  process.exit(1);
}
// The suites run the command line as users do, compiled (bin/throughline.js would fall back to
// the sources if the build were missing or older than them, so this only keeps it current).
const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-cli.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...process.argv.slice(3), ...files.map((f) => path.relative(root, f))];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
