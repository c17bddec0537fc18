import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeOn, StoreAnswers, storeTargets } from '../../test/support/store-targets.ts';
import { importFiles } from '../ingest/import.ts';
import { createTestDir, createTestEvent, createTestFeedback, writeCsv } from '../journey/testing.ts';
import type { Cells } from '../journey/testing.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { writeDemo } from '../demo/index.ts';
import type { Planted } from '../demo/index.ts';
import { outboundReport } from './outbound.ts';

const HOUR = 3_600_000;
/** 2026-06-10 00:00 in Chicago (UTC−5 in June), as UTC milliseconds. */
const CHICAGO_MIDNIGHT = Date.UTC(2026, 5, 10, 5, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Sixty customers in Chicago get the same SMS promotion: thirty at 20:30 their time, thirty at
 * 11:00. The evening ones rate it 2 and a third of them opt out of SMS within the hour; the
 * morning ones rate it 4. Half the customers' zone is on their consent, half on their profile.
 */
function world(): { interactions: Cells[]; feedback: Cells[]; consents: Cells[]; profiles: Cells[] } {
  const interactions: Cells[] = [];
  const feedback: Cells[] = [];
  const consents: Cells[] = [];
  const profiles: Cells[] = [];
  for (let i = 0; i < 60; i++) {
    const customer = `C${i}`;
    const late = i % 2 === 0;
    const ts = CHICAGO_MIDNIGHT + (i % 5) * 24 * HOUR + (late ? 20.5 : 11) * HOUR;
    const sms = createTestEvent({ customer_id: customer, ts: iso(ts), channel: 'sms', activity: 'marketing/promo', outcome: '', direction: 'outbound' });
    interactions.push(sms);
    feedback.push(createTestFeedback({ customer_id: customer, ts: iso(ts + 2 * HOUR), event_id: sms.event_id, score: late ? (i % 3 === 0 ? 1 : 2) : i % 3 === 0 ? 5 : 4 }));
    if (i < 30) consents.push({ customer_id: customer, channel: 'sms', status: 'grant', ts: iso(ts - 100 * 24 * HOUR), timezone: 'America/Chicago' });
    else profiles.push({ customer_id: customer, name: `Person ${i}`, timezone: 'America/Chicago' });
    if (late && i % 6 === 0) consents.push({ customer_id: customer, channel: 'sms', status: 'deny', ts: iso(ts + HOUR) });
  }
  return { interactions, feedback, consents, profiles };
}

const documents = new StoreAnswers();

for (const target of storeTargets()) describeOn(target, 'what follows outbound contacts', () => {
  let store: Store;
  let remove: () => Promise<void>;

  before(async () => {
    const d = await createTestDir();
    remove = d.remove;
    store = await openStore(await target.freshLocation('outbound'));
    const w = world();
    await importFiles(store, [
      await writeCsv(d.dir, 'profiles.csv', w.profiles),
      await writeCsv(d.dir, 'interactions.csv', w.interactions),
      await writeCsv(d.dir, 'feedback.csv', w.feedback),
      await writeCsv(d.dir, 'consents.csv', w.consents),
    ]);
  });

  after(async () => {
    await store.close();
    await remove();
  });

  test("outbound contacts are grouped by the customer's local hour, from the consent's zone or the profile's", async () => {
    const doc = documents.keep(target, 'outbound', await outboundReport(store));
    assert.equal(doc.contacts, 60);
    assert.deepEqual(doc.by_hour.map((g) => [g.key, g.contacts]), [['11', 30], ['20', 30]]);
    const evening = doc.by_hour.find((g) => g.key === '20')!;
    assert.equal(evening.csat_n, 30);
    assert.ok(evening.csat! < 2 && evening.csat_ci95![1] < 2.5, JSON.stringify(evening));
    assert.equal(evening.opt_out_pct, 33.33, "ten of the thirty opted out");
    assert.ok(evening.opt_out_ci95[0] > 0);
    assert.equal(doc.by_hour.find((g) => g.key === '11')!.opt_out_pct, 0);
  });

  test('the evening SMS is a finding, outside the default quiet hours', async () => {
    const doc = await outboundReport(store);
    const f = doc.findings.find((x) => x.by === 'channel_hour' && x.key === 'sms 20' && x.what === 'csat');
    assert.ok(f, JSON.stringify(doc.findings));
    assert.ok(f.difference < -2 && f.ci95[1] < 0);
    assert.match(f.guard, /outside the guard's quiet hours \(21:00–08:00/);
    assert.ok(!doc.findings.some((x) => x.key.endsWith(' 11')), 'the morning sends are no finding');
    assert.match(doc.caution, /not what it causes/);
  });

  test('what follows is counted only within the follow-up window', async () => {
    const doc = await outboundReport(store, { followDays: 1 });
    assert.equal(doc.overall.csat_n, 60);
    assert.equal(doc.follow_days, 1);
  });

  if (target.dialect !== 'duckdb') {
    test('the outbound document is the same as on DuckDB', () => {
      documents.assertSameAsDuckDb(target);
    });
  }
});

// The demo end to end, on DuckDB (the SQL is the same on both stores, checked above).
describeOn(storeTargets()[0]!, 'outbound on the demo', () => {
  let store: Store;
  let remove: () => Promise<void>;
  let planted: Planted;

  before(async () => {
    const d = await createTestDir();
    remove = d.remove;
    const result = await writeDemo(`${d.dir}/demo`, { customers: 800, days: 45, seed: 11, end: new Date('2026-06-01T00:00:00Z') });
    planted = result.planted;
    store = await openStore(await storeTargets()[0]!.freshLocation('outbound-demo'));
    await importFiles(store, Object.values(result.files).map((f) => f.path));
  });

  after(async () => {
    await store.close();
    await remove();
  });

  test('outbound finds the planted bad-hour SMS and says the default quiet hours let it through', async () => {
    const sms = planted.outbound_timing;
    const doc = await outboundReport(store);
    const key = `${sms.activity} ${String(sms.bad_hours[0]).padStart(2, '0')}`;
    const found = doc.findings.filter((f) => f.by === 'activity_hour' && f.key === key);
    assert.ok(found.some((f) => f.what === 'csat' && f.difference < -1), JSON.stringify(doc.findings.slice(0, 6)));
    assert.ok(found.some((f) => f.what === 'opt_out'), 'and more opt-outs');
    assert.match(found[0]!.guard, /outside the guard's quiet hours/);
    assert.equal(doc.findings[0]!.key, key, 'the most specific finding comes first');
    assert.ok(!doc.findings.some((f) => f.by === 'activity_hour' && f.key.startsWith(sms.activity) && f.key !== key), 'the daytime sends are no finding');
  });
});
