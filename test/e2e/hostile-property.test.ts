/**
 * The hostile-input contract as a property (issue 18): records generated around the contract's
 * edges — timestamps at and past 1900 and 2200 in every form, fields at 32 KB give or take a
 * byte, nesting at 32 levels give or take one, bytes that are not UTF-8, prototype keys,
 * formula text — go through `throughline import` (a JSON Lines file) and `/api/v1/events` on
 * both stores. Each is accepted or rejected exactly as a small model of the contract says, every
 * accepted one lands unchanged, and the server stays well.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, after, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { importFiles } from '../../src/ingest/import.ts';
import { createApp } from '../../src/server/app.ts';
import { createKey } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { readJsonl, tempDir } from '../support/fixtures.ts';
import { describeOn, storeTargets } from '../support/store-targets.ts';

const MIN = Date.UTC(1900, 0, 1);
const MAX = Date.UTC(2200, 0, 1);
const KB32 = 32 * 1024;

/** A timestamp in one of the contract's forms, and whether the contract takes it. */
type Ts = { value: unknown; ok: boolean };

const edgeMs = fc.oneof(
  fc.constantFrom(MIN - 1, MIN, MIN + 1, MAX - 1, MAX, MAX + 1, 1e20, -1e20, 8640000000000001, -8640000000000001),
  fc.integer({ min: MIN - 1000, max: MIN + 1000 }),
  fc.integer({ min: MAX - 1000, max: MAX + 1000 }),
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
);

const timestamp: fc.Arbitrary<Ts> = fc.oneof(
  // A JSON number.
  edgeMs.map((ms) => ({ value: ms, ok: ms >= MIN && ms <= MAX })),
  // A number in a string: epoch milliseconds need more than ten digits (ten are epoch seconds).
  edgeMs.map((ms) => ({ value: String(ms), ok: ms >= MIN && ms <= MAX && String(Math.abs(ms)).length > 10 && Number.isSafeInteger(ms) })),
  // ISO 8601.
  fc.record({ year: fc.constantFrom(1899, 1900, 1901, 2026, 2199, 2200, 2201, 9999), second: fc.integer({ min: 0, max: 1 }) }).map(({ year, second }) => {
    const iso = `${year}-01-01T00:00:0${second}Z`;
    const ms = Date.UTC(year, 0, 1, 0, 0, second);
    return { value: iso, ok: ms >= MIN && ms <= MAX };
  }),
);

/** Text, and whether it is within the contract (its UTF-8 bytes, a lone surrogate standing for a bad byte). */
type Text = { value: string; ok: boolean };

const text: fc.Arbitrary<Text> = fc.oneof(
  fc.constantFrom('=1+2', '+SUM(A1)', '-2', '@cmd', '=HYPERLINK("http://x")', 'café ✓', 'plain').map((value) => ({ value, ok: true })),
  // Around 32 KB, in one-byte and three-byte characters.
  fc.record({ delta: fc.integer({ min: -2, max: 2 }), wide: fc.boolean() }).map(({ delta, wide }) => {
    const value = wide ? '✓'.repeat(Math.floor(KB32 / 3)) + 'x'.repeat((KB32 % 3) + delta) : 'x'.repeat(KB32 + delta);
    return { value, ok: Buffer.byteLength(value) <= KB32 };
  }),
  fc.string({ maxLength: 20 }).map((s) => ({ value: `${s}\udce9${s}`, ok: false })),
);

/** How deep a nested attribute goes, the record being level 1 and the attribute's array level 2. */
const depth = fc.integer({ min: 29, max: 34 });
const nest = (arrays: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < arrays; i++) v = [v];
  return v;
};

interface Case {
  readonly ts: Ts;
  readonly text: Text | null;
  readonly depth: number | null;
  readonly key: '__proto__' | 'constructor' | 'toString' | 'prototype' | null;
}

const aCase: fc.Arbitrary<Case> = fc.record({
  ts: timestamp,
  text: fc.option(text, { nil: null }),
  depth: fc.option(depth, { nil: null }),
  key: fc.constantFrom(null, null, '__proto__', 'constructor', 'toString', 'prototype'),
});

/** The model: whether the contract takes the record. */
function accepted(c: Case): boolean {
  if (!c.ts.ok) return false;
  if (c.text !== null && !c.text.ok) return false;
  if (c.depth !== null && c.depth + 1 > 32) return false;
  return c.key !== '__proto__';
}

/** The record as JSON text (`__proto__` written as a key, as a sender would). */
function recordJson(id: string, c: Case): string {
  const base: Record<string, unknown> = { event_id: id, ts: c.ts.value, channel: 'web', activity: 'edge/step', customer_id: `P-${id}` };
  if (c.text !== null) base.text = c.text.value;
  if (c.depth !== null) base.nested = nest(c.depth);
  let json = JSON.stringify(base);
  if (c.key !== null) json = json.slice(0, -1) + `,${JSON.stringify(c.key)}:"v"}`;
  return json;
}

/** The event as the store should hold it, for an accepted case. */
function expectedTs(c: Case): number {
  const v = c.ts.value;
  return typeof v === 'number' ? v : /^-?\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v));
}

for (const target of storeTargets()) describeOn(target, 'records around the contract\'s edges (property)', () => {
  let store: Store;
  let app: FastifyInstance;
  let key = '';
  let dir = '';
  let run = 0;

  before(async () => {
    dir = tempDir('throughline-hostile-property-');
    store = await openStore(await target.freshLocation('hostileprop'));
    key = (await createKey(store, 'collector', 'property', Date.now())).key;
    app = await createApp({ store });
  });
  after(async () => {
    await app.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (ids: readonly string[]): Promise<Map<string, { ts: number; text: string | null }>> => {
    if (ids.length === 0) return new Map();
    const rows = await store.query(`SELECT event_id, ts, text FROM interactions WHERE event_id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')})`, [...ids]);
    return new Map(rows.map((r) => [String(r.event_id), { ts: Number(r.ts), text: r.text === null ? null : String(r.text) }]));
  };

  test('each record is accepted or rejected as the contract says, with a reason; accepted ones land unchanged; the server stays well', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(aCase, { minLength: 1, maxLength: 6 }), async (cases) => {
        run++;
        // Through /api/v1/events: answered once merged, so a read that follows sees it.
        const viaApi = cases.map((c, i) => ({ id: `a${run}-${i}`, c }));
        const r = await app.inject({
          method: 'POST',
          url: '/api/v1/events',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          payload: `[${viaApi.map(({ id, c }) => recordJson(id, c)).join(',')}]`,
        });
        assert.equal(r.statusCode, 200, r.body);
        const answer = r.json<{ errors: { line: number; reason: string }[] }>();
        // The endpoint also limits a whole record to 32 KB (docs/security.md).
        const fits = (id: string, c: Case): boolean => Buffer.byteLength(recordJson(id, c)) <= KB32;
        const expectApi = viaApi.map(({ id, c }) => accepted(c) && fits(id, c));
        assert.deepEqual(answer.errors.map((e) => e.line), expectApi.flatMap((ok, i) => (ok ? [] : [i + 1])), r.body.slice(0, 2000));
        for (const e of answer.errors) assert.ok(e.reason.length > 0);

        // Through `throughline import` of a JSON Lines file, with its reject file.
        const viaFile = cases.map((c, i) => ({ id: `f${run}-${i}`, c }));
        const file = path.join(dir, `run${run}.jsonl`);
        const rejectsPath = path.join(dir, `run${run}.rejects.jsonl`);
        fs.writeFileSync(file, viaFile.map(({ id, c }) => recordJson(id, c)).join('\n') + '\n');
        await importFiles(store, [file], { kind: 'interactions', rejectsPath });
        app.customerCache.changed('all');
        const rejected = fs.existsSync(rejectsPath) ? (readJsonl(rejectsPath) as unknown as { line: number; reason: string }[]) : [];
        assert.deepEqual(rejected.map((j) => j.line), viaFile.flatMap(({ c }, i) => (accepted(c) ? [] : [i + 1])), JSON.stringify(rejected).slice(0, 2000));

        const expectStored = [...viaApi.filter((_, i) => expectApi[i]), ...viaFile.filter(({ c }) => accepted(c))];
        const got = await stored([...viaApi, ...viaFile].map((x) => x.id));
        assert.deepEqual([...got.keys()].sort(), expectStored.map((x) => x.id).sort());
        for (const { id, c } of expectStored) {
          assert.equal(got.get(id)!.ts, expectedTs(c), id);
          assert.equal(got.get(id)!.text, c.text?.value ?? null, id);
        }
        const health = await app.inject({ method: 'GET', url: '/healthz' });
        assert.equal(health.statusCode, 200);
      }),
      { numRuns: 12 },
    );
    assert.equal(({} as Record<string, unknown>).v, undefined, 'no prototype was polluted');
  });
});
