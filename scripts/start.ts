/**
 * `npm start`: the newcomer's first command. Builds the dashboard if needed, generates the demo
 * dataset, imports it into an embedded DuckDB file, creates an admin key, and serves the API,
 * the collector and the dashboard, printing the address and the key.
 *
 * The demo database is `./throughline.duckdb` (so that plain `npx throughline ...` commands work
 * against it) unless that file already holds other data, which npm start never touches; then it
 * uses `./throughline-demo/demo.duckdb` and says so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { run } from '../src/cli/main.ts';
import { DEMO_DEFAULTS, DEMO_TAXONOMY_FILE } from '../src/cli/demo.ts';
import { DEFAULT_DB, loadConfig } from '../src/config/index.ts';
import { setDefaultPhoneRegion } from '../src/identity/normalize.ts';
import { createKey, startServer } from '../src/server/index.ts';
import { openStore } from '../src/store/open.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEMO_MARK = 'origin';
const PORT = Number(process.env.PORT ?? 4319);

async function isDemoDatabase(file: string): Promise<boolean> {
  try {
    const store = await openStore(file);
    try {
      const [row] = await store.query(`SELECT value FROM settings WHERE key = $1`, [DEMO_MARK]);
      return row?.value === 'demo';
    } finally {
      await store.close();
    }
  } catch {
    return false;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds web/dist when it is missing or older than its sources (a fresh clone has none). */
function ensureDashboard(): void {
  const dist = path.join(ROOT, 'web', 'dist', 'index.html');
  const src = path.join(ROOT, 'web');
  if (fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= newestMtime(path.join(src, 'src'))) return;
  console.log('0/3  Building the dashboard...');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('the dashboard did not build (npm run build:web shows why)');
}

/** Whether something already listens on the port (an earlier npm start, say): asked before any work. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE'));
    probe.listen({ host: '127.0.0.1', port }, () => probe.close(() => resolve(false)));
  });
}

async function main(): Promise<number> {
  if (PORT !== 0 && (await portInUse(PORT))) {
    console.error(`npm start: port ${PORT} is in use (another npm start or throughline serve?): stop it, or run PORT=${PORT + 1} npm start`);
    return 2;
  }
  // Before any store is opened: migration 9 and every lookup read phones in this region.
  setDefaultPhoneRegion(loadConfig().phoneRegion);
  ensureDashboard();
  const demoDir = DEMO_DEFAULTS.out;
  let db = process.env.THROUGHLINE_DB || DEFAULT_DB;
  if (fs.existsSync(db) && !(await isDemoDatabase(db))) {
    console.error(`${db} holds data that is not the demo's; npm start leaves it alone and uses ${demoDir}/demo.duckdb.`);
    db = path.join(demoDir, 'demo.duckdb');
  }
  // A fresh demo each time: the period ends today, so yesterday's demo would overlap it.
  for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });

  console.log('1/3  Writing the demo dataset...');
  let code = await run(['demo', '--out', demoDir]);
  if (code !== 0) return code;
  const inputs = ['profiles.csv', 'interactions.csv', 'feedback.jsonl', 'holdings.csv', 'promises.csv', 'consents.csv', 'staff.csv', 'employee_feedback.csv'].map((f) => path.join(demoDir, f));
  console.log(`\n2/3  Importing it into ${db}...`);
  // The demo's comments are a telecom's: its taxonomy names their topics (docs/feedback.md).
  // Stored first, so the import reads the comments under it once.
  code = await run(['--db', db, 'feedback', 'taxonomy', path.join(demoDir, DEMO_TAXONOMY_FILE)]);
  if (code !== 0) return code;
  code = await run(['--db', db, 'import', ...inputs]);
  if (code !== 0) return code;

  const store = await openStore(db);
  await store.exec(`INSERT INTO settings (key, value) VALUES ($1, 'demo')`, [DEMO_MARK]);
  const key = await createKey(store, 'admin', 'npm start', Date.now());
  await store.close();

  console.log('\n3/3  Starting the server...');
  const server = await startServer({
    db,
    host: '127.0.0.1',
    port: PORT,
    journeyWindowMs: loadConfig().journeyWindowMs,
    logger: { info: () => undefined, warn: (m) => console.error(`warning: ${m}`) },
  });
  const dbFlag = db === DEFAULT_DB ? '' : ` --db ${db}`;
  console.log(
    [
      '',
      `Dashboard: ${server.url}/`,
      `API key (admin, shown once): ${key.key}`,
      `API docs:  ${server.url}/api/docs`,
      '',
      'Sign in to the dashboard with the key. Ctrl-C stops the server; then try, for example:',
      `  npx throughline${dbFlag} broken --top 5`,
      `  npx throughline${dbFlag} context customer_id:C000001`,
      `  npx throughline${dbFlag} agents`,
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('\nStopping...');
  await server.close();
  return 0;
}

process.exitCode = await main();
