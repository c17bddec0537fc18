/**
 * What a user's clone must hold by itself: the contracts the README links to (no link may leave
 * the repository, since a clone has no ../shared), and dependencies that install on the Node
 * version the README names.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');

function markdownFiles(): string[] {
  const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f));
  return ['README.md', ...docs];
}

test('every relative link in the README and docs/ names a file inside the repository', () => {
  const broken: string[] = [];
  for (const file of markdownFiles()) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      const resolved = path.resolve(root, path.dirname(file), target);
      if (!resolved.startsWith(root + path.sep) || !fs.existsSync(resolved)) broken.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(broken, [], 'links that a clone cannot follow');
});

test('the data and CLI contracts are in docs/', () => {
  assert.match(fs.readFileSync(path.join(root, 'docs/data.md'), 'utf8'), /data contract, version 2/);
  assert.match(fs.readFileSync(path.join(root, 'docs/cli.md'), 'utf8'), /JSON contract, version 2/);
});

test('no installed package asks for a newer Node than the README promises (20)', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const tooNew: string[] = [];
  for (const [name, pkg] of Object.entries(lock.packages)) {
    const node = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
    if (node === undefined) continue;
    // The lower bounds of every range alternative ("^20.19.0 || >=22.12.0" allows 20).
    const allows20 = node.split('||').some((alt) => {
      const m = /(?:>=|\^|~)?\s*v?(\d+)/.exec(alt.trim());
      return m === null || Number(m[1]) <= 20;
    });
    if (!allows20) tooNew.push(`${name || 'throughline'}: node ${node}`);
  }
  assert.deepEqual(tooNew, [], 'packages whose engines exclude Node 20 (pin an older version or add an override)');
});
