/** The context and the guard over a real DuckDB store, with records imported by the importer. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../../test/support/fixtures.ts';
import type { Kind } from '../core/records.ts';
import { resolveCustomer } from '../identity/customers.ts';
import { importRecords } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { customerContext } from './context.ts';
import { evaluate, listDecisions } from './guard.ts';
import { DEFAULT_POLICIES } from './policies.ts';

const NOW = Date.parse('2026-06-10T15:00:00Z');
const iso = (hoursAgo: number): string => new Date(NOW - hoursAgo * 3600_000).toISOString();

describe('the live context and the guard over a store', () => {
  let store: Store;
  let key: string;

  const load = async (kind: Kind, rows: Record<string, unknown>[]): Promise<void> => {
    await importRecords(store, rows.map((fields, i) => ({ source: 't', line: i + 1, kind, fields })), {
      onReject: (r, reason) => assert.fail(`${kind} ${r.line}: ${reason}`),
    });
  };

  before(async () => {
    store = await openStore(path.join(tempDir(), 'engage.duckdb'));
    await load('profiles', [{ customer_id: 'C1', phone: '5550001111', email: 'ann@example.com', name: 'Ann Lee', segment: 'gold', timezone: 'America/New_York' }]);
    await load('holdings', [{ customer_id: 'C1', product: 'mobile_plan', since: '2025-01-01T00:00:00Z' }]);
    await load('consents', [
      { customer_id: 'C1', channel: 'sms', status: 'deny', ts: '2026-05-01T00:00:00Z' },
      { customer_id: 'C1', channel: 'email', status: 'grant', ts: '2026-05-01T00:00:00Z' },
    ]);
    await load('interactions', [
      { event_id: 'i1', ts: iso(2), channel: 'web', activity: 'pay_bill/login', outcome: 'success', phone: '555-000-1111' },
      { event_id: 'i2', ts: iso(1.9), channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'failure', customer_id: 'C1' },
      { event_id: 'i3', ts: iso(1), channel: 'ivr', activity: 'pay_bill/ivr_menu', outcome: 'transferred', phone: '5550001111' },
      { event_id: 'o1', ts: iso(48), channel: 'email', activity: 'marketing/offer_tv', direction: 'outbound', customer_id: 'C1' },
    ]);
    await load('promises', [
      { promise_id: 'P1', customer_id: 'C1', ts: iso(24 * 5), due: iso(24 * 2), kind: 'credit', agent_id: 'A9', description: '$20 late-fee credit' },
      { promise_id: 'P2', customer_id: 'C1', ts: iso(24), due: new Date(NOW + 2 * 86_400_000).toISOString(), kind: 'callback' },
      { promise_id: 'P3', customer_id: 'C1', ts: iso(24 * 20), due: iso(24 * 15), kept_at: iso(24 * 10), kind: 'refund' },
    ]);
    await load('feedback', [{ response_id: 'r1', customer_id: 'C1', ts: iso(0.5), survey_id: 'rel', metric: 'nps', scope: 'relationship', score: 2, comment: 'Payments never work' }]);
    key = await resolveCustomer(store, 'phone:5550001111');
  });
  after(() => store.close());

  test('the context tells the story in plain words and lists what not to offer', async () => {
    const doc = await customerContext(store, key, { now: NOW });
    assert.equal(doc.profile.name, 'Ann Lee');
    assert.equal(doc.profile.segment, 'gold');
    assert.deepEqual(doc.holdings.map((h) => h.product), ['mobile_plan']);
    assert.equal(doc.open_journeys.length, 1);
    assert.equal(doc.open_journeys[0]!.summary, 'tried to pay the bill on our website 2 hours ago; it failed at submit_payment; then ivr_menu on our phone line (transferred) 1 hour ago');
    assert.deepEqual(doc.open_journeys[0]!.failures.map((f) => f.activity), ['pay_bill/submit_payment', 'pay_bill/ivr_menu']);
    assert.deepEqual(doc.promises.overdue.map((p) => p.promise_id), ['P1']);
    assert.deepEqual(doc.promises.open.map((p) => p.promise_id), ['P2']);
    assert.deepEqual(doc.promises.broken.map((p) => p.promise_id).sort(), ['P1', 'P3']);
    assert.match(doc.promises.overdue[0]!.words, /^A credit was due 8 June \(2 days ago\) and has not happened$/);
    assert.equal(doc.cases.length, 1, 'the detractor answer opened a case');
    assert.equal(doc.feedback[0]!.unhappy, true);
    assert.equal(doc.risk.level, 'high');
    assert.ok(doc.risk.reasons.some((r) => /relationship NPS 2/.test(r)));
    assert.ok(doc.talking_points.some((t) => /^I can see your payment failed on our website 2 hours ago/.test(t)), doc.talking_points.join('\n'));
    assert.ok(doc.talking_points.some((t) => /We promised you a credit by 8 June/.test(t)));
    assert.ok(doc.talking_points.some((t) => /Payments never work/.test(t)));
    const rules = doc.suppressed_offers.map((b) => `${b.rule} ${b.offer} ${b.channel}`);
    for (const r of ['credibility.overdue_promise * *', 'credibility.open_case * *', 'credibility.failed_journey * *', 'relevance.held_product mobile_plan *', 'respect.consent * sms', 'respect.frequency_cap * email']) {
      assert.ok(rules.includes(r), `${r} in ${rules.join(', ')}`);
    }
  });

  test('the guard records every decision so marketing can see why a contact was stopped', async () => {
    const ev = await evaluate(
      store,
      key,
      [
        { action_id: 'sell-plan', kind: 'offer', product: 'mobile_plan', channel: 'email' },
        { action_id: 'sms-fix', kind: 'service', channel: 'sms', intent: 'pay_bill' },
        { action_id: 'nps-again', kind: 'survey', channel: 'email' },
      ],
      { policies: DEFAULT_POLICIES, now: NOW, keyId: 'k1' },
    );
    const by = new Map(ev.decisions.map((d) => [d.action_id, d]));
    assert.equal(by.get('sell-plan')!.decision, 'suppress');
    assert.ok(by.get('sell-plan')!.rules.includes('relevance.held_product'));
    assert.ok(by.get('sell-plan')!.rules.includes('credibility.overdue_promise'));
    assert.equal(by.get('sms-fix')!.decision, 'reroute');
    assert.equal(by.get('sms-fix')!.final_channel, 'email');
    assert.equal(by.get('nps-again')!.decision, 'suppress');
    assert.ok(by.get('nps-again')!.rules.some((r) => r.startsWith('respect.survey_')));

    const log = await listDecisions(store, { customerKey: key });
    assert.equal(log.length, 3);
    assert.ok(log.every((d) => d.evaluation_id === ev.evaluation_id && d.key_id === 'k1'));
    const stopped = await listDecisions(store, { decision: 'suppress', rule: 'credibility.overdue_promise' });
    assert.deepEqual(stopped.map((d) => d.action_id), ['sell-plan']);
    assert.match(stopped[0]!.reasons.credibility.join(' '), /\$20 late-fee credit/);
  });
});
