/**
 * `npm start`: the newcomer's first command. Generates the demo dataset, imports it into an
 * embedded DuckDB file, and prints what it found and what to try next.
 *
 * The demo database is `./throughline.duckdb` (so that plain `npx throughline ...` commands work
 * afterwards) unless that file already holds other data, which npm start never touches; then it
 * uses `./throughline-demo/demo.duckdb` and says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../src/cli/main.ts';
import { DEFAULT_DB } from '../src/config/index.ts';
import { DEMO_DEFAULTS } from '../src/cli/demo.ts';
import { openStore } from '../src/store/open.ts';

const DEMO_MARK = 'origin';

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

async function main(): Promise<number> {
  const demoDir = DEMO_DEFAULTS.out;
  let db = process.env.THROUGHLINE_DB || DEFAULT_DB;
  if (fs.existsSync(db) && !(await isDemoDatabase(db))) {
    console.error(`${db} holds data that is not the demo's; npm start leaves it alone and uses ${demoDir}/demo.duckdb.`);
    db = path.join(demoDir, 'demo.duckdb');
  }
  // A fresh demo each time: the period ends today, so yesterday's demo would overlap it.
  for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });

  console.log('1/2  Writing the demo dataset...');
  let code = await run(['demo', '--out', demoDir]);
  if (code !== 0) return code;
  const inputs = fs
    .readdirSync(demoDir)
    .filter((f) => /\.(csv|jsonl)$/.test(f) && !f.startsWith('truth') && !f.startsWith('broken'))
    .map((f) => path.join(demoDir, f));
  console.log(`\n2/2  Importing it into ${db}...`);
  code = await run(['--db', db, 'import', ...inputs]);
  if (code !== 0) return code;
  const store = await openStore(db);
  await store.exec(`INSERT INTO settings (key, value) VALUES ($1, 'demo')`, [DEMO_MARK]);
  await store.close();

  const dbFlag = db === DEFAULT_DB ? '' : ` --db ${db}`;
  console.log(
    [
      '',
      'Try next:',
      `  npx throughline${dbFlag} customers show customer_id:C000001`,
      `  npx throughline${dbFlag} export events --format csv --out events.csv`,
      `  npx throughline --help`,
    ].join('\n'),
  );
  return 0;
}

process.exitCode = await main();
