/**
 * Hostile and real-world input (issue 18) through every way in — `throughline import` of CSV,
 * JSON Lines and XES, the Segment collector `/v1/*` and `/api/v1/events` — on both stores: each
 * bad record is rejected as itself with its reason, every valid record beside it lands
 * unchanged, and afterwards the collector still merges, /healthz is 200 and every analysis
 * answers. A record that passes validation and that the store still refuses is set aside as a
 * dead letter, and a restart does not replay it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ANALYSES } from '../../src/server/routes/analyses.ts';
import { createApp } from '../../src/server/app.ts';
import { createKey } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { readJsonl, tempDir } from '../support/fixtures.ts';
import { cli } from '../support/served.ts';
import { describeOn, storeTargets } from '../support/store-targets.ts';

const RANGE = /outside the contract's range, 1900-01-01 to 2200-01-01/;
const NOT_UTF8 = /not UTF-8/;
const TOO_BIG = /32 KB/;
const TOO_DEEP = /nested deeper than 32 levels/;
const PROTO = /"__proto__".*not allowed/;
const LINE_TOO_LONG = /longer than 1 MiB/;

/** `[[...]]` with `levels` arrays, the innermost holding 1. */
const nested = (levels: number): string => '['.repeat(levels) + '1' + ']'.repeat(levels);

interface Reject {
  line: number;
  reason: string;
}

/** Imports `file` (with `args`) into `db` and returns its rejects by line. */
function importFile(db: string, file: string, args: readonly string[] = []): Map<number, string> {
  const rejects = `${file}.rejects.jsonl`;
  const r = cli(['--db', db, 'import', ...args, '--rejects', rejects, file]);
  assert.ok(r.code === 0 || r.code === 3, `import ${path.basename(file)} exit ${r.code} (3: some records rejected): ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const out = new Map<number, string>();
  if (fs.existsSync(rejects)) for (const j of readJsonl(rejects) as unknown as Reject[]) out.set(j.line, j.reason);
  return out;
}

function assertRejects(got: Map<number, string>, expected: Record<number, RegExp>, what: string): void {
  assert.deepEqual([...got.keys()].sort((a, b) => a - b), Object.keys(expected).map(Number), `${what}: the rejected lines (${JSON.stringify([...got])})`);
  for (const [line, reason] of Object.entries(expected)) assert.match(got.get(Number(line))!, reason, `${what} line ${line}`);
}

for (const target of storeTargets()) describeOn(target, 'hostile input through every way in', () => {
  let db = '';
  let dir = '';

  before(async () => {
    db = await target.freshLocation('hostile');
    dir = tempDir('throughline-hostile-');
  });

  test('import of CSV, JSON Lines and XES rejects each hostile record as itself, with its reason, and keeps every valid one unchanged', () => {
    const csv = path.join(dir, 'events.csv');
    fs.writeFileSync(
      csv,
      Buffer.concat([
        Buffer.from(
          [
            'event_id,ts,channel,activity,customer_id,text',
            'c-ok-1,2026-06-01T09:00:00Z,web,pay_bill/open,C1,café ✓ fine',
            'c-range-1,8640000000000001,web,pay_bill/open,C2,',
            'c-range-2,1899-12-31T23:59:59Z,web,pay_bill/open,C2,',
            'c-range-3,2200-01-01T00:00:01Z,web,pay_bill/open,C2,',
            'c-range-4,-2208988800001,web,pay_bill/open,C2,',
            'c-sci,1e20,web,pay_bill/open,C2,',
            'c-bytes,2026-06-01T09:00:00Z,web,pay_bill/open,C2,caf',
          ].join('\n'),
        ),
        Buffer.from([0xe9]),
        Buffer.from(
          [
            ' bad',
            `c-big,2026-06-01T09:00:00Z,web,pay_bill/open,C2,${'x'.repeat(33 * 1024)}`,
            `c-huge,2026-06-01T09:00:00Z,web,pay_bill/open,C2,"${'y'.repeat(1100 * 1024)}"`,
            'c-formula,2026-06-01T09:01:00Z,web,=1+2,C1,"=HYPERLINK(""http://evil.example"")"',
            'c-ok-2,1780304640000,web,pay_bill/done,C1,@SUM(A1)',
            '',
          ].join('\n'),
        ),
      ]),
    );
    assertRejects(importFile(db, csv), { 3: RANGE, 4: RANGE, 5: RANGE, 6: RANGE, 7: /not ISO 8601/, 8: NOT_UTF8, 9: TOO_BIG, 10: LINE_TOO_LONG }, 'CSV');

    const ok = { ts: '2026-06-01T10:00:00Z', channel: 'app', activity: 'profile/edit', customer_id: 'J1' };
    const lines: (string | Buffer)[] = [
      JSON.stringify({ event_id: 'j-ok-1', ...ok, constructor: 'kept', prototype: 'kept too', toString: 'also kept' }),
      `{"event_id":"j-num","ts":1e20,"channel":"app","activity":"a","customer_id":"J2"}`,
      `{"event_id":"j-past-date-range","ts":8640000000000001,"channel":"app","activity":"a","customer_id":"J2"}`,
      JSON.stringify({ event_id: 'j-str', ...ok, ts: '8640000000000001' }),
      JSON.stringify({ event_id: 'j-neg', ...ok, ts: -2208988800001 }),
      `{"event_id":"j-proto","ts":"2026-06-01T10:00:00Z","channel":"app","activity":"a","customer_id":"J2","__proto__":{"polluted":true}}`,
      `{"event_id":"j-deep","ts":"2026-06-01T10:00:00Z","channel":"app","activity":"a","customer_id":"J2","nested":${nested(32)}}`,
      Buffer.concat([Buffer.from('{"event_id":"j-bytes","ts":"2026-06-01T10:00:00Z","channel":"app","activity":"a","customer_id":"J2","text":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
      `{"event_id":"j-surrogate","ts":"2026-06-01T10:00:00Z","channel":"app","activity":"a","customer_id":"J2","text":"\\udce9"}`,
      JSON.stringify({ event_id: 'j-big', ...ok, customer_id: 'J2', text: 'x'.repeat(33 * 1024) }),
      JSON.stringify({ event_id: 'j-huge', ...ok, customer_id: 'J2', text: 'y'.repeat(1100 * 1024) }),
      `{"event_id":"j-ok-deep","ts":1780308000000,"channel":"app","activity":"profile/save","customer_id":"J1","nested":${nested(31)},"text":"-2+3"}`,
    ];
    const jsonl = path.join(dir, 'events.jsonl');
    fs.writeFileSync(jsonl, Buffer.concat(lines.map((l) => Buffer.concat([typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\n')]))));
    assertRejects(
      importFile(db, jsonl),
      { 2: RANGE, 3: RANGE, 4: RANGE, 5: RANGE, 6: PROTO, 7: TOO_DEEP, 8: NOT_UTF8, 9: NOT_UTF8, 10: TOO_BIG, 11: LINE_TOO_LONG },
      'JSON Lines',
    );

    const promises = path.join(dir, 'promises.jsonl');
    const promise = { ts: '2026-06-01T10:00:00Z', due: '2026-06-03T10:00:00Z', kind: 'callback', customer_id: 'J1' };
    fs.writeFileSync(
      promises,
      [
        JSON.stringify({ promise_id: 'p-ok', ...promise, kept_at: 1780480800000 }),
        JSON.stringify({ promise_id: 'p-due', ...promise, due: 1e20 }),
        JSON.stringify({ promise_id: 'p-kept', ...promise, kept_at: '2200-01-02T00:00:00Z' }),
        JSON.stringify({ promise_id: 'p-ts', ...promise, ts: '1800-01-01T00:00:00Z' }),
        '',
      ].join('\n'),
    );
    assertRejects(importFile(db, promises, ['--kind', 'promises']), { 2: /^due: .*outside/, 3: /^kept_at: .*outside/, 4: /^ts: .*outside/ }, 'promises');

    const holdings = path.join(dir, 'holdings.jsonl');
    fs.writeFileSync(
      holdings,
      [
        JSON.stringify({ customer_id: 'J1', product: 'fibre', since: '2020-01-01T00:00:00Z' }),
        JSON.stringify({ customer_id: 'J1', product: 'tv', since: 8640000000000001 }),
        JSON.stringify({ customer_id: 'J1', product: 'phone', until: '8640000000000001' }),
        '',
      ].join('\n'),
    );
    assertRejects(importFile(db, holdings, ['--kind', 'holdings']), { 2: /^since: .*outside/, 3: /^until: .*outside/ }, 'holdings');

    const xes = path.join(dir, 'log.xes');
    fs.writeFileSync(
      xes,
      Buffer.concat([
        Buffer.from(
          [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<log xes.version="1.0">',
            '<trace><string key="concept:name" value="X1"/>',
            '<event><string key="concept:name" value="xes/ok"/><date key="time:timestamp" value="2026-06-01T11:00:00.000+00:00"/></event>',
            '<event><string key="concept:name" value="xes/future"/><date key="time:timestamp" value="2201-06-01T11:00:00.000+00:00"/></event>',
            '<event><string key="concept:name" value="xes/caf',
          ].join('\n'),
        ),
        Buffer.from([0xe9]),
        Buffer.from(
          [
            '"/><date key="time:timestamp" value="2026-06-01T11:01:00.000+00:00"/></event>',
            '<event><string key="concept:name" value="=xes/formula"/><date key="time:timestamp" value="2026-06-01T11:02:00.000+00:00"/></event>',
            '</trace>',
            '</log>',
            '',
          ].join('\n'),
        ),
      ]),
    );
    assertRejects(importFile(db, xes), { 5: RANGE, 6: NOT_UTF8 }, 'XES');

    const exported = path.join(dir, 'export.jsonl');
    const r = cli(['--db', db, 'export', 'events', '--format', 'jsonl', '--out', exported]);
    assert.equal(r.code, 0, r.stderr);
    const byActivity = new Map(readJsonl(exported).map((e) => [String(e.event_id).startsWith('h-') ? String(e.activity) : String(e.event_id), e]));
    assert.deepEqual([...byActivity.keys()].sort(), ['=xes/formula', 'c-formula', 'c-ok-1', 'c-ok-2', 'j-ok-1', 'j-ok-deep', 'xes/ok']);
    assert.equal(byActivity.get('c-ok-1')!.text, 'café ✓ fine', 'the good lines of a file with a bad byte stay UTF-8');
    assert.equal(byActivity.get('c-ok-1')!.ts, '2026-06-01T09:00:00.000Z');
    assert.equal(byActivity.get('c-formula')!.activity, '=1+2', 'a formula cell is data, kept as written');
    assert.equal(byActivity.get('c-formula')!.text, '=HYPERLINK("http://evil.example")');
    assert.equal(byActivity.get('c-ok-2')!.text, '@SUM(A1)');
    assert.equal(byActivity.get('c-ok-2')!.ts, new Date(1780304640000).toISOString());
    const j = byActivity.get('j-ok-1')!;
    assert.equal(j.constructor, 'kept');
    assert.equal(j.prototype, 'kept too');
    assert.equal(j.toString, 'also kept');
    assert.deepEqual(byActivity.get('j-ok-deep')!.nested, JSON.parse(nested(31)));
    assert.equal(byActivity.get('j-ok-deep')!.text, '-2+3');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted');
  });

  test('the collector rejects each hostile message as itself, answers 400 (never 500) for a bad single event, and still merges; a poison record is set aside and never replayed', async () => {
    const store: Store = await openStore(db);
    const journal = path.join(dir, 'journal');
    let app: FastifyInstance | null = null;
    try {
      const admin = (await createKey(store, 'admin', 'hostile', Date.now())).key;
      const collector = (await createKey(store, 'collector', 'hostile', Date.now())).key;
      app = await createApp({ store, journal, writeQueue: {} });
      const a = app;
      const call = (key: string, method: 'GET' | 'POST', url: string, payload?: string | Buffer, type = 'application/json') =>
        a.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...(payload === undefined ? {} : { 'content-type': type }) }, ...(payload === undefined ? {} : { payload }) });
      const errorShape = (r: { statusCode: number; body: string }, status: number, message: RegExp): void => {
        assert.equal(r.statusCode, status, r.body);
        const doc = JSON.parse(r.body) as { error: { code: string; message: string } };
        assert.deepEqual(Object.keys(doc), ['error']);
        assert.equal(typeof doc.error.code, 'string');
        assert.match(doc.error.message, message);
      };

      const msg = (id: string, extra = '') => `{"type":"track","userId":"S1","event":"pay_bill/open","messageId":"${id}","timestamp":"2026-06-01T12:00:00Z"${extra}}`;
      const batch = Buffer.concat([
        Buffer.from(
          `{"batch":[${[
            msg('s-ok-1'),
            `{"type":"track","userId":"S1","event":"x","messageId":"s-num","timestamp":1e20}`,
            msg('s-sent', ',"sentAt":"8640000000000001"'),
            msg('s-orig', ',"originalTimestamp":"1899-12-31T00:00:00Z"'),
            msg('s-proto', ',"properties":{"__proto__":{"polluted":true}}'),
            msg('s-deep', `,"properties":{"deep":${nested(40)}}`),
            msg('s-surrogate', ',"properties":{"text":"\\udce9"}'),
            `{"type":"track","userId":"S1","event":"=cmd|' /C calc'!A0","messageId":"s-formula","timestamp":"2026-06-01T12:01:00Z","properties":{"constructor":"c","text":"+1"}}`,
            msg('s-big', `,"properties":{"text":"${'x'.repeat(33 * 1024)}"}`),
          ].join(',')},`,
        ),
        Buffer.from(`${msg('s-bytes', ',"properties":{"text":"caf')}`.slice(0, -1)),
        Buffer.from([0xe9]),
        Buffer.from('"}}]}'),
      ]);
      const answer = await call(collector, 'POST', '/v1/batch', batch);
      assert.equal(answer.statusCode, 200, answer.body);
      const doc = answer.json<{ accepted: number; rejected: number; errors: { index: number; messageId: string | null; reason: string }[] }>();
      const reasons = new Map(doc.errors.map((e) => [e.index, e.reason]));
      assert.deepEqual([...reasons.keys()], [1, 2, 3, 4, 5, 6, 8, 9], JSON.stringify(doc.errors));
      assert.match(reasons.get(1)!, /^timestamp: .*outside/);
      assert.match(reasons.get(2)!, /^sentAt: .*outside/);
      assert.match(reasons.get(3)!, /^originalTimestamp: .*outside/);
      assert.match(reasons.get(4)!, PROTO);
      assert.match(reasons.get(5)!, TOO_DEEP);
      assert.match(reasons.get(6)!, NOT_UTF8);
      assert.match(reasons.get(8)!, /32 KB/);
      assert.match(reasons.get(9)!, NOT_UTF8);
      assert.equal(doc.accepted, 2);

      // One event on its own: a 400 in the error shape, never a 500 or a stack overflow.
      errorShape(await call(collector, 'POST', '/v1/track', `{"type":"track","userId":"S1","event":"e","properties":{"a":${nested(5000)}}}`), 400, TOO_DEEP);
      errorShape(await call(collector, 'POST', '/v1/track', `{"type":"track","userId":"S1","event":"e","timestamp":1e20}`), 400, RANGE);
      errorShape(await call(collector, 'POST', '/v1/identify', `{"type":"identify","userId":"S1","traits":{"__proto__":{"admin":true}}}`), 400, PROTO);
      errorShape(await call(collector, 'POST', '/v1/track', nested(10_000)), 400, /JSON object/);
      const deepInBatch = await call(collector, 'POST', '/v1/batch', `{"batch":[${nested(10_000)},${msg('s-ok-2')}]}`);
      assert.equal(deepInBatch.statusCode, 200, deepInBatch.body);
      assert.deepEqual(
        deepInBatch.json<{ errors: { index: number; reason: string }[] }>().errors.map((e) => [e.index, e.reason]),
        [[0, 'a message must be a JSON object']],
      );

      const ndjson = Buffer.concat([
        Buffer.from(
          [
            JSON.stringify({ event_id: 'e-ok-1', ts: '2026-06-01T13:00:00Z', channel: 'chat', activity: 'support/ask', customer_id: 'E1', text: '=1+1' }),
            `{"event_id":"e-num","ts":1e20,"channel":"chat","activity":"a","customer_id":"E2"}`,
            JSON.stringify({ promise_id: 'e-due', ts: '2026-06-01T13:00:00Z', due: 8640000000000001, kind: 'callback', customer_id: 'E1' }),
            `{"event_id":"e-proto","ts":"2026-06-01T13:00:00Z","channel":"chat","activity":"a","customer_id":"E2","__proto__":{"x":1}}`,
            `{"event_id":"e-deep","ts":"2026-06-01T13:00:00Z","channel":"chat","activity":"a","customer_id":"E2","n":${nested(3000)}}`,
            JSON.stringify({ event_id: 'e-big', ts: '2026-06-01T13:00:00Z', channel: 'chat', activity: 'a', customer_id: 'E2', text: 'x'.repeat(33 * 1024) }),
            '{"event_id":"e-bytes","ts":"2026-06-01T13:00:00Z","channel":"chat","activity":"a","customer_id":"E2","text":"caf',
          ].join('\n'),
        ),
        Buffer.from([0xe9]),
        Buffer.from('"}\n' + JSON.stringify({ event_id: 'e-ok-2', ts: 1780318800000, channel: 'chat', activity: 'support/thanks', customer_id: 'E1', constructor: 'c' }) + '\n'),
      ]);
      const events = await call(collector, 'POST', '/api/v1/events', ndjson, 'application/x-ndjson');
      assert.equal(events.statusCode, 200, events.body);
      const ev = events.json<{ accepted: number; errors: Reject[] }>();
      const evReasons = new Map(ev.errors.map((e) => [e.line, e.reason]));
      assert.deepEqual([...evReasons.keys()], [2, 3, 4, 5, 6, 7], events.body);
      assert.match(evReasons.get(2)!, RANGE);
      assert.match(evReasons.get(3)!, /^due: .*outside/);
      assert.match(evReasons.get(4)!, PROTO);
      assert.match(evReasons.get(5)!, TOO_DEEP);
      assert.match(evReasons.get(6)!, /32 KB/);
      assert.match(evReasons.get(7)!, NOT_UTF8);
      assert.equal(ev.accepted, 2);

      // Afterwards: the collector still merges, /healthz is 200, every analysis answers.
      const later = await call(collector, 'POST', '/api/v1/events', JSON.stringify([{ event_id: 'after-1', ts: '2026-06-01T14:00:00Z', channel: 'web', activity: 'pay_bill/open', customer_id: 'S1' }]));
      assert.equal(later.json<{ accepted: number }>().accepted, 1, later.body);
      const health = await a.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200, health.body);
      assert.deepEqual(health.json(), { status: 'ok', dead_letters: 0 });
      for (const analysis of ANALYSES) {
        const r = await call(admin, 'GET', `/api/v1/${analysis.name}`);
        assert.equal(r.statusCode, 200, `${analysis.name}: ${r.body.slice(0, 300)}`);
      }
      for (const id of ['customer_id:S1', 'customer_id:C1', 'customer_id:J1', 'customer_id:E1']) {
        const r = await call(admin, 'GET', `/api/v1/customers/${id}/context`);
        assert.equal(r.statusCode, 200, `${id}: ${r.body.slice(0, 300)}`);
      }

      // Every numeric query parameter of every analysis has a range, named in the 400.
      for (const analysis of ANALYSES) {
        for (const [name, schema] of Object.entries(analysis.params) as [string, { type?: string; maximum?: number; minimum?: number }][]) {
          if (schema.type !== 'integer' && schema.type !== 'number') continue;
          assert.ok(schema.maximum !== undefined, `${analysis.name}?${name} has a maximum`);
          for (const value of [String(schema.maximum + 1), '1e308', '-1', 'NaN']) {
            errorShape(await call(admin, 'GET', `/api/v1/${analysis.name}?${name}=${value}`), 400, new RegExp(`"${name}" must be an? (integer|number) from ${schema.minimum} to ${schema.maximum}|"${name}" must be`));
          }
        }
      }
      errorShape(await call(admin, 'GET', '/api/v1/drivers?window-days=1e308'), 400, /from 1 to 3650/);
      errorShape(await call(admin, 'GET', '/api/v1/risk?horizon-days=1e9'), 400, /from 1 to 3650/);
      // An unknown path is 404 whatever the key; a URL that does not decode is 400; both in the error shape.
      errorShape(await call(admin, 'GET', '/api/v1/nope'), 404, /no endpoint/);
      const analyst = (await createKey(store, 'analyst', 'hostile', Date.now())).key;
      errorShape(await call(analyst, 'GET', '/api/v1/nope'), 404, /no endpoint/);
      errorShape(await a.inject({ method: 'GET', url: '/api/v1/nope' }), 404, /no endpoint/);
      errorShape(await call(analyst, 'GET', '/api/v1/customers/%E0%A4%A/context'), 400, /URL is not valid/);

      // The second wall: a record that passes validation and that the store still refuses.
      // Here the store refuses a second event with the text "POISON" (a unique index).
      await call(collector, 'POST', '/api/v1/events', JSON.stringify([{ event_id: 'seed', ts: '2026-06-01T15:00:00Z', channel: 'web', activity: 'seed', customer_id: 'P0', text: 'POISON' }]));
      await store.exec(`CREATE UNIQUE INDEX hostile_poison ON interactions (text)`);
      const poisoned = await call(
        collector,
        'POST',
        '/v1/batch',
        JSON.stringify({ batch: ['p-1', 'p-bad', 'p-2'].map((id) => ({ type: 'track', userId: `P-${id}`, event: 'pay_bill/open', messageId: id, timestamp: '2026-06-01T15:01:00Z', properties: id === 'p-bad' ? { text: 'POISON' } : {} })) }),
      );
      assert.equal(poisoned.statusCode, 200, poisoned.body);
      const full = async () => (await call(admin, 'GET', '/healthz')).json<{ status: string; dead_letters: number; collector: { waiting: number } }>();
      let h = await full();
      const deadline = Date.now() + 60_000;
      while ((h.collector.waiting !== 0 || h.dead_letters === 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        h = await full();
      }
      assert.equal(h.status, 'ok');
      assert.equal(h.dead_letters, 1);
      const merged = await store.query(`SELECT event_id FROM interactions WHERE event_id IN ('p-1', 'p-bad', 'p-2') ORDER BY event_id`);
      assert.deepEqual(merged.map((row) => row.event_id), ['p-1', 'p-2'], 'the rest of the batch merged');
      const afterPoison = await call(collector, 'POST', '/api/v1/events', JSON.stringify([{ event_id: 'after-2', ts: '2026-06-01T15:02:00Z', channel: 'web', activity: 'pay_bill/open', customer_id: 'S1' }]));
      assert.equal(afterPoison.json<{ accepted: number }>().accepted, 1, 'the collector still merges');
      await a.close();
      app = null;

      // A restart on the same journal replays nothing: the poison is behind the merged position.
      app = await createApp({ store, journal });
      const again = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(again.statusCode, 200);
      assert.deepEqual(again.json(), { status: 'ok', dead_letters: 1 });
      await app.close();
      app = null;
    } finally {
      await app?.close();
      await store.close();
    }
    const listed = cli(['--db', db, 'deadletter', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const letters = JSON.parse(listed.stdout) as { kind: string; line: number; fields: Record<string, unknown>; reason: string }[];
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.fields.event_id, 'p-bad');
    assert.equal(letters[0]!.line, 2);
    assert.ok(letters[0]!.reason.length > 0);
    const readable = cli(['--db', db, 'deadletter', 'list']);
    assert.match(readable.stdout, /1 collected records were set aside/);
    assert.match(readable.stdout, /p-bad/);
  });
});

test('headers too large for the server are a 431 in the error shape', async () => {
  const dbDir = tempDir('throughline-hostile-431-');
  const store = await openStore(path.join(dbDir, 'db.duckdb'));
  const app = await createApp({ store });
  try {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const r = await fetch(`${url}/healthz`, { headers: { 'x-big': 'x'.repeat(20_000) } });
    assert.equal(r.status, 431);
    const doc = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, 'too_large');
    assert.match(doc.error.message, /headers/);
  } finally {
    await app.close();
    await store.close();
    fs.rmSync(dbDir, { recursive: true, force: true });
  }
});
