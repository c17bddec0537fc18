/**
 * The command line as a user runs it: the real bin, real files, real exit codes, stdout that
 * is one JSON document with --json and nothing else. On a DuckDB file and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { createTestFeedback, createTestInteraction, readJsonl, tempDir, writeCsv, writeJsonl } from '../support/fixtures.ts';
import { describeOn, storeTargets } from '../support/store-targets.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'throughline.js');

function cli(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

for (const target of storeTargets()) describeOn(target, 'throughline on the command line', () => {
  const dir = tempDir();
  let db = '';
  before(async () => {
    db = await target.freshLocation('cli');
  });
  const interactions = writeCsv(dir, 'interactions.csv', [
    createTestInteraction({ event_id: 'x1', customer_id: 'C9', phone: '+1 (555) 987-6543', ts: '2026-06-01T09:00:00-05:00', outcome: 'failure' }),
    createTestInteraction({ event_id: 'x2', customer_id: undefined, phone: '15559876543', channel: 'ivr', activity: 'pay_bill/ivr_menu', ts: '2026-06-01T09:10:00-05:00' }),
  ]);
  const feedback = writeJsonl(dir, 'feedback.jsonl', [createTestFeedback({ response_id: 'y1', customer_id: 'C9', score: 2 })]);

  test('import --json prints exactly one JSON document with the contract fields', () => {
    const r = cli(['--db', db, 'import', '--json', interactions, feedback]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of ['imported', 'skipped_duplicates', 'rejected', 'rejects_file', 'customers', 'journeys', 'seconds']) assert.ok(k in doc, k);
    assert.deepEqual((doc.imported as Record<string, number>).interactions, 2);
    assert.equal(doc.customers, 1);
  });

  test('THROUGHLINE_DB chooses the database when --db is absent', () => {
    const r = cli(['customers', 'show', '--json', 'phone:1-555-987-6543'], { THROUGHLINE_DB: db });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { customer_key: string; identifiers: { type: string; value: string }[]; records: Record<string, number> };
    assert.match(doc.customer_key, /^c-[0-9a-f]{12}$/);
    assert.deepEqual(doc.records.interactions, 2, 'the IVR call joined through the phone number');
    assert.deepEqual(doc.records.feedback, 1);
    assert.ok(doc.identifiers.some((i) => i.type === 'phone' && i.value === '+15559876543'));
  });

  test('a file with broken records imports the rest and exits 3, naming the reject file', () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'event_id,ts,channel,activity,customer_id\nz1,2026-06-01T09:00:00Z,web,a/b,C1\nz2,nope,web,a/b,C1\n');
    const r = cli(['--db', db, 'import', bad]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /1 record\(s\) rejected: see .*bad\.csv\.rejects\.jsonl/);
    assert.deepEqual(readJsonl(`${bad}.rejects.jsonl`).map((x) => x.line), [3]);
  });

  test('unusable input exits 2 with one line saying what to do', () => {
    for (const args of [
      ['import', path.join(dir, 'missing.csv')],
      ['import', '--kind', 'widgets', interactions],
      ['import', '--map', 'nonsense', interactions],
      ['customers', 'show', 'fax:123'],
      ['import', '--no-such-option'],
    ]) {
      const r = cli(['--db', db, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.trim().length > 0);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
    }
  });

  test('a missing input file is the error reported, even when the database cannot be reached', () => {
    const r = cli(['--db', 'postgres://nobody@127.0.0.1:1/nowhere', 'import', path.join(dir, 'missing.csv')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /missing\.csv does not exist; check the path/);
    assert.doesNotMatch(r.stderr, /connect/);
  });

  test('a lookup by an unknown identifier exits 2', () => {
    const r = cli(['--db', db, 'customers', 'show', 'email:nobody@example.com']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no record has email:nobody@example.com/);
  });

  test('export writes every event with its customer key and journey, as JSON lines or CSV', () => {
    const out = path.join(dir, 'events.jsonl');
    assert.equal(cli(['--db', db, 'export', 'events', '--out', out]).code, 0);
    const events = readJsonl(out);
    assert.equal(events.length, 3);
    assert.deepEqual(Object.keys(events[0]!).slice(0, 3), ['event_id', 'ts', 'channel']);
    assert.equal(events[0]!.ts, '2026-06-01T14:00:00.000Z');
    assert.equal(events[0]!.customer_key, events[1]!.customer_key);
    assert.ok(typeof events[0]!.journey_id === 'string');
    const csv = cli(['--db', db, 'export', 'events', '--format', 'csv']);
    assert.equal(csv.code, 0);
    const lines = csv.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^event_id,ts,channel,activity,/);
  });

  test('a NUL character inside a JSON string imports like any other text', () => {
    // JSON may carry U+0000 and DuckDB stores it; PostgreSQL text cannot, and a COPY holding one failed the whole import.
    const file = writeJsonl(dir, 'nul.jsonl', [createTestInteraction({ event_id: 'nul-1', activity: 'pay_bill/submit\u0000payment' })]);
    const r = cli(['--db', db, 'import', '--json', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { imported: Record<string, number> }).imported.interactions, 1);
  });

  test('a staff directory and employee answers import by their columns; teams --json and agents list by team', async () => {
    const teamDb = await target.freshLocation('cli-teams');
    const calls: ReturnType<typeof createTestInteraction>[] = [];
    const answers: ReturnType<typeof createTestFeedback>[] = [];
    const agents = ['A1', 'A2', 'B1', 'B2'];
    agents.forEach((agent, k) => {
      for (let i = 0; i < 6; i++) {
        const id = `t-${agent}-${i}`;
        calls.push(createTestInteraction({ event_id: id, customer_id: `TC-${agent}-${i}`, channel: 'call', activity: 'pay_bill/agent_payment', agent_id: agent, ts: `2026-06-0${i + 1}T10:00:00Z` }));
        answers.push(createTestFeedback({ response_id: `tr-${agent}-${i}`, metric: 'csat', scope: 'transaction', survey_id: 'post_call', customer_id: `TC-${agent}-${i}`, event_id: id, score: 2 + ((k + i) % 4), ts: `2026-06-0${i + 1}T11:00:00Z` }));
      }
    });
    const staff = writeCsv(dir, 'staff.csv', [
      { employee_id: 'A1', name: 'Zoe Alpha', team: 'alpha' },
      { employee_id: 'A2', name: 'Amy Alpha', team: 'alpha' },
      { employee_id: 'B1', name: 'Bob Beta', team: 'beta' },
      { employee_id: 'B2', name: 'Ben Beta', team: 'beta' },
    ]);
    const pulse = writeCsv(
      dir,
      'employee_feedback.csv',
      [...Array.from({ length: 5 }, () => ['alpha', 9] as const), ...Array.from({ length: 4 }, () => ['beta', 3] as const)].map(([team, score], i) => ({
        response_id: `ef-${i}`, ts: '2026-06-10T09:00:00Z', survey_id: 'pulse', metric: 'enps', score, team,
      })),
    );
    const r = cli(['--db', teamDb, 'import', '--json', writeCsv(dir, 'team-calls.csv', calls), writeJsonl(dir, 'team-answers.jsonl', answers), staff, pulse]);
    assert.equal(r.code, 0, r.stderr);
    const imported = (JSON.parse(r.stdout) as { imported: Record<string, number> }).imported;
    assert.equal(imported.staff, 4);
    assert.equal(imported.employee_feedback, 9);

    const t = cli(['--db', teamDb, 'teams', '--json']);
    assert.equal(t.code, 0, t.stderr);
    const teams = JSON.parse(t.stdout) as Record<string, unknown>[];
    assert.ok(Array.isArray(teams));
    assert.deepEqual(teams.map((x) => x.team).sort(), ['alpha', 'beta']);
    for (const x of teams) for (const k of ['team', 'agents', 'contacts', 'adjusted_csat', 'ci95', 'praise', 'enps', 'enps_n']) assert.ok(k in x, k);
    const beta = teams.find((x) => x.team === 'beta')!;
    assert.equal(beta.enps, null, 'a team with 4 employee answers shows enps null');
    assert.equal(beta.enps_n, 4);
    assert.equal(teams.find((x) => x.team === 'alpha')!.enps, 100);
    assert.ok(teams.every((x) => typeof x.adjusted_csat === 'number' && Array.isArray(x.ci95) && x.contacts === 12 && x.agents === 2), t.stdout);

    const a = cli(['--db', teamDb, 'agents', '--json']);
    const people = JSON.parse(a.stdout) as { agent_id: string; name: string; team: string }[];
    const order = people.map((p) => p.team);
    assert.equal(order.filter((x, i) => i > 0 && x !== order[i - 1]).length, 1, `people are grouped by team: ${order.join(' ')}`);
    assert.equal(people.find((p) => p.agent_id === 'A1')?.name, 'Zoe Alpha');
    const table = cli(['--db', teamDb, 'agents', '--sort', 'rank']);
    assert.match(table.stdout, /Limits: An individual score is a noisy estimate/);
    assert.equal(cli(['--db', teamDb, 'agents', '--sort', 'salary']).code, 2);
  });
});

test('the bin runs when started through a symlink, as npx starts it, and prints the version', () => {
  // npx links the package into its cache and runs node_modules/.bin/throughline, a path that
  // names neither bin/throughline.js nor src/cli/main.ts.
  const link = path.join(tempDir(), 'throughline');
  fs.symlinkSync(BIN, link);
  const r = spawnSync(process.execPath, [link, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  assert.equal(r.stdout.trim(), pkg.version);
});
