/**
 * The command line's manners (issue 22, item 12), as a user meets them: a mistyped --db, a pipe
 * closed by `head`, an option out of range, a filter that leaves nothing, a table wider than the
 * terminal, a reject file left by an earlier run, `npm start` on a taken port.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { run } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/output.ts';
import { createTestInteraction, tempDir, writeCsv } from '../support/fixtures.ts';
import { cli } from '../support/served.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const LONG_ACTIVITY = `pay_bill/${'a_very_long_step_name_'.repeat(6)}end`;

describe('the command line on a user’s terminal', () => {
  const dir = tempDir('throughline-cli-manners-');
  const db = path.join(dir, 'store.duckdb');
  before(() => {
    // Enough interactions that an export is larger than a pipe's buffer (64 KB).
    const rows = Array.from({ length: 1500 }, (_, i) =>
      createTestInteraction({
        event_id: `m${i}`,
        customer_id: `C${i % 300}`,
        ts: new Date(Date.UTC(2026, 5, 1) + i * 60_000).toISOString(),
        channel: i % 3 === 0 ? 'ivr' : 'web',
        activity: i % 50 === 0 ? LONG_ACTIVITY : 'pay_bill/submit_payment',
        text: 'x'.repeat(60),
      }),
    );
    const r = cli(['--db', db, 'import', writeCsv(dir, 'interactions.csv', rows)]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('a read command on a --db that does not exist stops with exit 2 and creates nothing', () => {
    const missing = path.join(dir, 'typo.duckdb');
    for (const args of [['journeys'], ['map'], ['agents'], ['customers', 'show', 'customer_id:C1'], ['export', 'events']]) {
      const r = cli(['--db', missing, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^throughline: there is no Throughline store at .*typo\.duckdb \(.*import data first/);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      assert.equal(fs.existsSync(missing), false, `${args.join(' ')} left an empty store behind`);
    }
  });

  test('a command that stores something may make the store: keys create, and a taxonomy before any data (as npm start does)', () => {
    const taxonomy = path.join(dir, 'taxonomy.json');
    fs.writeFileSync(taxonomy, JSON.stringify({ topics: [{ id: 'billing', label: 'Billing', keywords: ['bill'] }] }));
    const fresh = path.join(dir, 'fresh.duckdb');
    const r = cli(['--db', fresh, 'feedback', 'taxonomy', taxonomy]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(fresh));
    const fresh2 = path.join(dir, 'fresh2.duckdb');
    assert.equal(cli(['--db', fresh2, 'keys', 'create', '--role', 'admin']).code, 0);
    assert.equal(cli(['--db', path.join(dir, 'fresh3.duckdb'), 'feedback', 'taxonomy']).code, 2, 'asking which taxonomy is in force only reads');
  });

  test('`| head` ends the command quietly', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${path.join(ROOT, 'bin', 'throughline.js')}" --db "${db}" export events --format jsonl 2>"${dir}/epipe.err" | head -1`], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, 'the command exits 0 when its reader stops early');
    assert.match(r.stdout, /^\{"/);
    assert.equal(fs.readFileSync(`${dir}/epipe.err`, 'utf8'), '', 'nothing on stderr (no EPIPE stack trace)');
  });

  test('numeric options outside their range are refused with the range', () => {
    for (const [args, range] of [
      [['drivers', '--window-days', '1e308'], /--window-days must be a whole number from 1 to 3,660, not "1e308"/],
      [['risk', '--horizon-days', '1000000000'], /--horizon-days must be a whole number from 1 to 3,660/],
      [['variants', '--top', '0'], /--top must be a whole number from 1 to/],
      [['broken', '--top', '2.5'], /--top must be a whole number from 1 to/],
    ] as const) {
      const r = cli(['--db', db, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, range);
    }
  });

  test('"nothing matches" names the filter that left nothing', () => {
    let r = cli(['--db', db, 'map', '--intent', 'no_such_intent']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No journeys match --intent no_such_intent: none of the [\d,]+ stored journeys has it/);
    r = cli(['--db', db, 'variants', '--channel', 'sms']);
    assert.match(r.stdout, /No journeys match --channel sms: none of the/);
    r = cli(['--db', db, 'journeys', '--to', '2020-01-01']);
    assert.match(r.stdout, /No journeys match --to 2020-01-01: none of the/);
    r = cli(['--db', db, 'journeys', '--intent', 'pay_bill', '--from', '2030-01-01']);
    assert.match(r.stdout, /No journeys match --from 2030-01-01: none of the/, 'the filter at fault, not the one that matches');
  });

  test('tables are cut to the terminal’s width, and --wide prints them whole', async () => {
    const capture = (columns: number): { io: Io; lines: string[] } => {
      const lines: string[] = [];
      return { lines, io: { out: (t) => lines.push(...t.split('\n')), err: () => undefined, stderrIsTty: false, columns } };
    };
    const narrow = capture(70);
    assert.equal(await run(['--db', db, 'map', '--by', 'activity'], narrow.io), 0);
    const tableLines = narrow.lines.filter((l) => l.includes('pay_bill/'));
    assert.ok(tableLines.length > 0);
    for (const l of narrow.lines) assert.ok(l.length <= 70 || !l.includes('  '), `a table line wider than 70 columns: ${l}`);
    assert.ok(tableLines.some((l) => l.includes('…')), 'the long activity name is cut, with an ellipsis');
    const wide = capture(70);
    assert.equal(await run(['--db', db, '--wide', 'map', '--by', 'activity'], wide.io), 0);
    assert.ok(wide.lines.some((l) => l.includes(LONG_ACTIVITY)), '--wide keeps the whole name');
  });

  test('a clean re-import removes the reject file an earlier run left', () => {
    const file = path.join(dir, 'fixed.csv');
    fs.writeFileSync(file, 'event_id,ts,channel,activity,customer_id\nf1,2026-06-01T09:00:00Z,web,a/b,C1\nf2,not a time,web,a/b,C1\n');
    assert.equal(cli(['--db', db, 'import', file]).code, 3);
    assert.ok(fs.existsSync(`${file}.rejects.jsonl`));
    fs.writeFileSync(file, 'event_id,ts,channel,activity,customer_id\nf1,2026-06-01T09:00:00Z,web,a/b,C1\nf2,2026-06-01T09:01:00Z,web,a/b,C1\n');
    const r = cli(['--db', db, 'import', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.existsSync(`${file}.rejects.jsonl`), false, 'the old reject file would pass for this run’s');
  });

  test('npm start on a port in use says so in one line, before doing any work', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'scripts', 'start.ts')], {
        cwd: dir,
        env: { ...process.env, PORT: String(port), THROUGHLINE_DB: path.join(dir, 'start.duckdb') },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 2);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(stderr, new RegExp(`port ${port} is in use .*PORT=${port + 1} npm start`));
      assert.equal(stdout, '', 'no dashboard build, no demo written');
      assert.equal(fs.existsSync(path.join(dir, 'start.duckdb')), false);
    } finally {
      taken.close();
    }
  });
});
