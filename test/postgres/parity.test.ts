/**
 * The same product on either store: one held-out demo world is imported into a fresh DuckDB file
 * and a fresh PostgreSQL database, then every analysis is asked on both and the JSON documents
 * must be equal (floats compared to 6 significant digits, the only allowed difference: the two
 * engines sum doubles in different orders). Each analysis is called the way the server calls it
 * (src/server/routes/analyses.ts), so a difference here is a difference a user would see.
 * Skips itself, and says so, where no PostgreSQL answers.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeDemo } from '../../src/demo/index.ts';
import { customerContext, DEFAULT_POLICIES, evaluate, listDecisions } from '../../src/engage/index.ts';
import type { Candidate } from '../../src/engage/index.ts';
import { caseRollup, computeMetrics, listComments, listHiddenAtRisk, listPraise, listSurveys, METRICS_BY, saveSurvey, topicSummary } from '../../src/feedback/index.ts';
import { createTestSurvey } from '../../src/feedback/test-fixture.ts';
import { customerSummary } from '../../src/identity/customers.ts';
import { importFiles } from '../../src/ingest/import.ts';
import type { ImportSummary } from '../../src/ingest/import.ts';
import { agentsAnalysis, currentCases, driversReport, promisesReport, riskReport } from '../../src/insight/index.ts';
import { brokenSteps, journeyMap, journeysDocument, journeyVariants, MAP_BY, parseJourneyFilter } from '../../src/journey/index.ts';
import { openStore } from '../../src/store/open.ts';
import { createTestDatabase, dropTestDatabase, NO_POSTGRES } from '../../src/store/postgres/postgres-testing.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir, writeCsv } from '../support/fixtures.ts';
import type { Fields } from '../support/fixtures.ts';
import { assertSameDocument } from '../support/compare.ts';

const SEED = 31337;
const END = new Date('2026-06-30T00:00:00Z');
/** Every analysis is asked "now" at the same instant on both stores: a day after the data ends. */
const NOW = END.getTime() + 24 * 3600 * 1000;

// An ICU English collation, as managed servers have: byte order and language order differ on
// case, punctuation and digits, and the analyses must not depend on which one the server uses.
const url = await createTestDatabase('tl_parity', { icuLocale: 'en-US' });

/** One analysis: a name for the report, and how to ask a store for it. */
interface Ask {
  readonly name: string;
  readonly run: (store: Store) => Promise<unknown>;
}

const journeyFilters = [
  parseJourneyFilter({}),
  parseJourneyFilter({ channel: 'call' }),
  parseJourneyFilter({ from: '2026-06-01', to: '2026-06-15', outcome: 'unresolved' }),
];

/** The analyses of src/server/routes/analyses.ts with the options a user would pass. */
function analyses(): Ask[] {
  const asks: Ask[] = [];
  journeyFilters.forEach((f, i) => {
    asks.push({ name: `journeys #${i}`, run: (s) => journeysDocument(s, f) });
    for (const by of MAP_BY) {
      asks.push({ name: `map --by ${by} #${i}`, run: (s) => journeyMap(s, { ...f, by }) });
      asks.push({ name: `variants --by ${by} #${i}`, run: (s) => journeyVariants(s, { ...f, by, top: 50 }) });
    }
    asks.push({ name: `broken #${i}`, run: (s) => brokenSteps(s, { ...f, top: 30 }) });
  });
  asks.push({ name: 'metrics', run: (s) => computeMetrics(s, {}) });
  for (const by of METRICS_BY) asks.push({ name: `metrics --by ${by}`, run: (s) => computeMetrics(s, { by }) });
  asks.push(
    { name: 'metrics --from --to', run: (s) => computeMetrics(s, { by: 'channel', from: Date.parse('2026-06-01'), to: Date.parse('2026-06-20') }) },
    { name: 'cases', run: (s) => currentCases(s, { now: NOW }) },
    { name: 'cases --overdue', run: (s) => currentCases(s, { now: NOW, overdue: true }) },
    { name: 'cases/rollup', run: (s) => caseRollup(s, NOW) },
    { name: 'cases/hidden', run: (s) => listHiddenAtRisk(s) },
    { name: 'feedback/comments', run: (s) => listComments(s, { limit: 200 }) },
    { name: 'feedback/comments --sentiment positive', run: (s) => listComments(s, { sentiment: 'positive', limit: 50 }) },
    { name: 'feedback/topics', run: (s) => topicSummary(s, {}) },
    { name: 'feedback/praise', run: (s) => listPraise(s, {}) },
    { name: 'agents', run: (s) => agentsAnalysis(s, {}) },
    { name: 'agents --from --to', run: (s) => agentsAnalysis(s, { from: Date.parse('2026-05-15'), to: Date.parse('2026-06-30') }) },
    { name: 'drivers', run: (s) => driversReport(s, { metric: 'nps', top: 40 }) },
    { name: 'drivers --metric csat', run: (s) => driversReport(s, { metric: 'csat', top: 40 }) },
    { name: 'risk', run: (s) => riskReport(s, { top: 100 }) },
    { name: 'risk --as-of', run: (s) => riskReport(s, { top: 100, horizonDays: 30, asOf: Date.parse('2026-06-01') }) },
    { name: 'promises', run: (s) => promisesReport(s, { now: NOW }) },
    { name: 'surveys', run: (s) => listSurveys(s) },
  );
  return asks;
}

/** Candidates that exercise every pillar of the guard: offers, a survey, a service message, a reminder. */
const CANDIDATES: readonly Candidate[] = [
  { action_id: 'offer-tv', kind: 'offer', product: 'tv', channel: 'email', value: 30, propensity: 0.2 },
  { action_id: 'offer-sms', kind: 'offer', product: 'fiber', channel: 'sms', at: '2026-06-30T22:30:00+00:00' },
  { action_id: 'survey', kind: 'survey', channel: 'sms' },
  { action_id: 'service', kind: 'service', channel: 'push', intent: 'pay_bill' },
  { action_id: 'reminder', kind: 'reminder', channel: 'call', direction: 'inbound' },
];

interface World {
  readonly store: Store;
  readonly summary: ImportSummary;
}

async function importInto(store: Store, files: readonly string[]): Promise<World> {
  const summary = await importFiles(store, files);
  // A survey definition feeds the survey list and the staff directory (praise, case owners).
  await store.transaction((tx) => saveSurvey(tx, createTestSurvey(), NOW - 1000));
  return { store, summary };
}

if (url === null) {
  test('DuckDB and PostgreSQL give the same answers', (t) => t.skip(`${NO_POSTGRES}: the parity check is skipped`));
} else {
  describe('DuckDB and PostgreSQL give the same answers on a held-out demo world', () => {
    let duck: World;
    let pg: World;
    let customers: string[] = [];

    before(async () => {
      const dir = tempDir('throughline-parity-');
      const demo = await writeDemo(path.join(dir, 'data'), { customers: 500, days: 60, seed: SEED, end: END });
      const files = Object.values(demo.files).map((f) => f.path);
      duck = await importInto(await openStore(path.join(dir, 'db.duckdb')), files);
      pg = await importInto(await openStore(url), files);
      // A few customers with much on record, a few with little: the contexts differ most there.
      const rows = await duck.store.query(
        `SELECT customer_key, count(*) AS n FROM interactions WHERE customer_key LIKE 'c-%' GROUP BY customer_key ORDER BY n DESC, customer_key`,
      );
      const keys = rows.map((r) => String(r.customer_key));
      customers = [...keys.slice(0, 4), ...keys.slice(Math.floor(keys.length / 2), Math.floor(keys.length / 2) + 2), ...keys.slice(-2)];
    });

    after(async () => {
      await duck?.store.close();
      await pg?.store.close();
      await dropTestDatabase(url);
    });

    test('the import reports the same counts', () => {
      const strip = (s: ImportSummary): unknown => ({ ...s, seconds: 0, files: s.files.map((f) => ({ ...f, path: path.basename(f.path) })) });
      assertSameDocument(strip(duck.summary), strip(pg.summary), 'import summary');
    });

    test('the stored records and journeys are the same, column by column', async () => {
      for (const sql of [
        `SELECT event_id, seq, customer_key, journey_id, step_no, next_ts, next_channel, next_activity FROM interactions ORDER BY event_id`,
        `SELECT * FROM journeys ORDER BY journey_id`,
        `SELECT tuple_id, tuple_key, customer_key, first_seq FROM id_tuples ORDER BY tuple_id`,
        `SELECT response_id, customer_key, seq FROM feedback ORDER BY response_id`,
        `SELECT case_id, customer_key, kind, status, owner, reason, root_cause_step, opened_at, due_at FROM cases ORDER BY case_id`,
      ]) {
        assertSameDocument(await duck.store.query(sql), await pg.store.query(sql), sql);
      }
    });

    for (const ask of analyses()) {
      test(`${ask.name} is the same document`, async () => {
        assertSameDocument(await ask.run(duck.store), await ask.run(pg.store), ask.name);
      });
    }

    test('customer summaries and live contexts are the same documents', async () => {
      assert.ok(customers.length >= 6, 'customers to look at');
      for (const key of customers) {
        assertSameDocument(await customerSummary(duck.store, key), await customerSummary(pg.store, key), `customers show ${key}`);
        for (const now of [NOW, Date.parse('2026-06-10T12:00:00Z')]) {
          const opts = { now, recent: 15, policies: DEFAULT_POLICIES };
          assertSameDocument(await customerContext(duck.store, key, opts), await customerContext(pg.store, key, opts), `context ${key} at ${new Date(now).toISOString()}`);
        }
      }
    });

    test('engagement evaluations decide the same and log the same', async () => {
      for (const key of customers) {
        const opts = { policies: DEFAULT_POLICIES, now: NOW, keyId: 'k-parity' };
        const a = await evaluate(duck.store, key, CANDIDATES, opts);
        const b = await evaluate(pg.store, key, CANDIDATES, opts);
        // The evaluation id is a fresh UUID on every call: everything else must match.
        assertSameDocument({ ...a, evaluation_id: '' }, { ...b, evaluation_id: '' }, `evaluate ${key}`);
      }
      const strip = (ds: Awaited<ReturnType<typeof listDecisions>>): unknown =>
        ds.map((d) => ({ ...d, decision_id: '', evaluation_id: '' })).sort((x, y) => (x.customer_key + x.action_id < y.customer_key + y.action_id ? -1 : 1));
      assertSameDocument(strip(await listDecisions(duck.store, { limit: 1000 })), strip(await listDecisions(pg.store, { limit: 1000 })), 'engage decisions');
    });
  });
}

/**
 * Text that byte order and language order sort differently: `_` `-` `.` `+`, upper and lower
 * case, and an activity that is a prefix of another (the journey path's control-character
 * separators sort first in bytes and are ignored by ICU). Every list sorted by such text in SQL
 * must come out in the same order from both stores.
 */
function writeTrickyText(dir: string): string[] {
  const at = (d: number, h: number): string => new Date(Date.UTC(2026, 5, d, h)).toISOString();
  const ev = (id: string, customer: string, ts: string, activity: string, extra: Fields = {}): Fields => ({
    event_id: id, ts, channel: 'web', activity, outcome: 'success', intent: 'pay', customer_id: customer, ...extra,
  });
  const interactions: Fields[] = [
    ev('e-1', 'Cx1', at(1, 9), 'pay/a', { email: 'a.b@x.com', cookie_id: 'ck_1' }),
    ev('e-2', 'Cx1', at(1, 10), 'pay/x', { email: 'a_b@x.com', cookie_id: 'ck-1' }),
    ev('e-3', 'Cx1', at(20, 9), 'pay/ab', { email: 'a-b@x.com', cookie_id: 'CK2' }),
    ev('e-4', 'Cx1', at(22, 9), 'pay/ab', { channel: 'call', email: 'a+b@x.com', cookie_id: 'ck.3', agent_id: 'ag_2' }),
    // Tied variants: one journey of each path, whose order is decided by the text alone.
    ev('v-1', 'Cv1', at(3, 9), 'pay/a'),
    ev('v-2', 'Cv1', at(3, 10), 'pay/x'),
    ev('v-3', 'Cv2', at(3, 9), 'pay/ab'),
    ev('v-4', 'Cv3', at(3, 9), 'pay/a_b'),
    ev('v-5', 'Cv4', at(3, 9), 'pay/a-b'),
    ev('v-6', 'Cv5', at(3, 9), 'Pay/B'),
  ];
  const holdings: Fields[] = ['TV', 'tv_plus', 'tv-basic', 'Tv basic', 'tv.max'].map((product, i) => ({ customer_id: 'Cx1', product, since: at(1 + i, 0) }));
  const promise = (id: string, kind: string, agent: string): Fields => ({
    promise_id: id, ts: at(2, 9), due: at(5, 9), kind, agent_id: agent, customer_id: 'Cx1', description: `${kind} for ${id}`,
  });
  const promises = [promise('P-1', 'credit', 'AG-1'), promise('p_2', 'Credit', 'ag_2'), promise('P.3', 'call-back', 'Ag3'), promise('p-10', 'call_back', 'ag.4')];
  const answer = (id: string): Fields => ({
    response_id: id, ts: at(25, 12), survey_id: 'rel_nps', metric: 'nps', scope: 'relationship', score: 2, customer_id: 'Cx1',
    comment: 'The website failed again and nobody called me back.',
  });
  const feedback = ['R_1', 'r-1', 'R.1', 'r1', 'R-1'].map(answer);
  return [
    writeCsv(dir, 'interactions.csv', interactions),
    writeCsv(dir, 'holdings.csv', holdings),
    writeCsv(dir, 'promises.csv', promises),
    writeCsv(dir, 'feedback.csv', feedback),
  ];
}

const textUrl = url === null ? null : await createTestDatabase('tl_parity_text', { icuLocale: 'en-US' });

if (textUrl !== null) {
  describe('text sorts the same on both stores, whatever the database collation', () => {
    let duck: Store;
    let pg: Store;
    let key = '';

    before(async () => {
      const dir = tempDir('throughline-parity-text-');
      const files = writeTrickyText(dir);
      duck = await openStore(path.join(dir, 'db.duckdb'));
      pg = await openStore(textUrl);
      for (const store of [duck, pg]) {
        await importFiles(store, files, { rejectsPath: path.join(dir, 'rejects.jsonl') });
        for (const id of ['rel_nps', 'rel-csat', 'Rel2', 'post.csat', 'rel.x']) {
          await store.transaction((tx) => saveSurvey(tx, createTestSurvey({ id, staff: [] }), NOW - 1000));
        }
      }
      const [row] = await duck.query(`SELECT customer_key FROM interactions WHERE event_id = 'e-1'`);
      key = String(row!.customer_key);
    });

    after(async () => {
      await duck?.close();
      await pg?.close();
      await dropTestDatabase(textUrl);
    });

    const asks: Ask[] = [
      ...MAP_BY.map((by) => ({ name: `variants --by ${by}`, run: (s: Store) => journeyVariants(s, { by }) })),
      ...MAP_BY.map((by) => ({ name: `variants --by ${by} --top 3`, run: (s: Store) => journeyVariants(s, { by, top: 3 }) })),
      { name: 'surveys', run: (s) => listSurveys(s) },
      { name: 'promises', run: (s) => promisesReport(s, { now: NOW }) },
      { name: 'feedback/comments', run: (s) => listComments(s, { limit: 3 }) },
      { name: 'cases', run: (s) => currentCases(s, { now: NOW }) },
      { name: 'customers show', run: (s) => customerSummary(s, key) },
      { name: 'context', run: (s) => customerContext(s, key, { now: NOW, policies: DEFAULT_POLICIES }) },
    ];
    for (const ask of asks) {
      test(`${ask.name} lists text in the same order`, async () => {
        assertSameDocument(await ask.run(duck), await ask.run(pg), ask.name);
      });
    }
  });
}
