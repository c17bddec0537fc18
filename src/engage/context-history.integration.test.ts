/**
 * The live context keeps what an agent must see however many events came after it: a failure
 * followed by a long browsing session is still a failure, and its journey is still open.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/support/fixtures.ts';
import { resolveCustomer } from '../identity/customers.ts';
import { importRecords } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import { customerContext } from './context.ts';

const NOW = Date.parse('2026-06-10T15:00:00Z');
const minutesAgo = (m: number): string => new Date(NOW - m * 60_000).toISOString();

test('a failure 25 minutes ago stays in the failures, the open journey and the talking points after 300 page views', async () => {
  const store = await openStore(path.join(tempDir(), 'history.duckdb'));
  try {
    const rows: Record<string, unknown>[] = [
      { event_id: 'p1', ts: minutesAgo(26), channel: 'web', activity: 'pay_bill/login', outcome: 'success', customer_id: 'C1' },
      { event_id: 'p2', ts: minutesAgo(25), channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'failure', customer_id: 'C1' },
    ];
    // Then a long browsing session, one page view every few seconds.
    for (let i = 0; i < 300; i++) {
      rows.push({ event_id: `v${i}`, ts: new Date(NOW - 24 * 60_000 + i * 4_000).toISOString(), channel: 'web', activity: 'browse/view_page', outcome: 'success', customer_id: 'C1' });
    }
    const r = await importRecords(store, rows.map((fields, i) => ({ source: 't', line: i + 1, kind: 'interactions' as const, fields })));
    assert.equal(r.rejected, 0);
    const doc = await customerContext(store, await resolveCustomer(store, 'customer_id:C1'), { now: NOW });

    assert.deepEqual(doc.failures.map((f) => f.activity), ['pay_bill/submit_payment']);
    const payBill = doc.open_journeys.find((j) => j.intent === 'pay_bill');
    assert.ok(payBill, `the pay_bill journey is open: ${JSON.stringify(doc.open_journeys.map((j) => j.intent))}`);
    assert.equal(payBill.summary, 'tried to pay the bill on our website 26 minutes ago; it failed at submit_payment 25 minutes ago');
    assert.ok(
      doc.talking_points.some((t) => /submit_payment|pay the bill|payment/.test(t)),
      `a talking point names the failed payment: ${JSON.stringify(doc.talking_points)}`,
    );
    assert.equal(doc.recent[0]!.activity, 'browse/view_page', 'the recent steps are still the latest ones');
    assert.ok(doc.risk.reasons.some((x) => /fail/.test(x)), 'risk cites it, as before');
  } finally {
    await store.close();
  }
});
