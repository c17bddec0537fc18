/**
 * Module boundaries (STYLE.md): domain modules never import a database driver, HTTP types or
 * a concrete store; only the edges (cli, server, web, scripts, bench, tests) pick a store.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', 'src');
const DOMAIN = ['core', 'config', 'ingest', 'identity', 'journey', 'feedback', 'insight', 'engage', 'demo'];
const FORBIDDEN = [/['"]@duckdb\//, /['"]pg['"]/, /['"]fastify/, /store\/(duckdb|postgres)\//, /store\/open\.ts['"]/, /\.\.\/(cli|server|web)\//];

const problems: string[] = [];
for (const mod of DOMAIN) {
  const dir = path.join(root, mod);
  if (!fs.existsSync(dir)) continue;
  for (const file of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const line of text.split('\n')) {
      if (!/^\s*(import|export) .* from /.test(line) && !/import\(/.test(line)) continue;
      for (const f of FORBIDDEN) if (f.test(line)) problems.push(`src/${mod}/${file}: ${line.trim()}`);
    }
  }
}
if (problems.length > 0) {
  console.error('Domain modules must not import drivers, HTTP types or concrete stores:\n' + problems.join('\n'));
  process.exit(1);
}
console.log('module boundaries ok');
