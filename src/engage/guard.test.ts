import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, quietUntil } from './guard.ts';
import type { Candidate, Decision } from './guard.ts';
import { DEFAULT_POLICIES, validatePolicies } from './policies.ts';
import { createTestInputs, DAY, NOW } from './testing.ts';

const offer = (overrides: Partial<Candidate> = {}): Candidate => ({ action_id: 'offer-tv', kind: 'offer', product: 'tv', channel: 'email', ...overrides });
const grant = (channel: string, more: Record<string, string | null> = {}) => ({ channel, status: 'grant' as const, ts: NOW - 30 * DAY, timezone: null, quiet_start: null, quiet_end: null, ...more });
const deny = (channel: string) => ({ ...grant(channel), status: 'deny' as const });
const one = (decisions: Decision[], id: string): Decision => decisions.find((d) => d.action_id === id)!;

describe('the engagement guard', () => {
  test('an offer of a product the customer holds is suppressed for relevance, another product is allowed', () => {
    const inputs = createTestInputs({ holdings: [{ product: 'tv', since: NOW - 100 * DAY, until: null, active: true }] });
    const ds = decide(inputs, [offer(), offer({ action_id: 'offer-net', product: 'home_internet' })], DEFAULT_POLICIES);
    const tv = one(ds, 'offer-tv');
    assert.equal(tv.decision, 'suppress');
    assert.deepEqual(tv.rules, ['relevance.held_product']);
    assert.match(tv.reasons.relevance[0]!, /already holds tv/);
    assert.equal(one(ds, 'offer-net').decision, 'allow');
  });

  test('a product the customer held once but gave up may be offered again', () => {
    const inputs = createTestInputs({ holdings: [{ product: 'tv', since: NOW - 100 * DAY, until: NOW - DAY, active: false }] });
    assert.equal(decide(inputs, [offer()], DEFAULT_POLICIES)[0]!.decision, 'allow');
  });

  test('SMS denied: the action is rerouted to the preferred channel where consent allows', () => {
    const inputs = createTestInputs({
      consents: [deny('sms'), grant('email')],
      preferred: { customer_key: 'c', channel: 'email', votes: [] },
    });
    const [d] = decide(inputs, [{ action_id: 'remind', kind: 'reminder', channel: 'sms' }], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'reroute');
    assert.equal(d!.final_channel, 'email');
    assert.deepEqual(d!.rules, ['respect.consent']);
    assert.match(d!.reasons.respect.join(' '), /denied sms.*rerouted to email \(the preferred channel\)/);
  });

  test('SMS denied and no other channel allowed: the action is suppressed for respect', () => {
    const inputs = createTestInputs({ consents: ['sms', 'email', 'push', 'call'].map(deny) });
    const [d] = decide(inputs, [{ action_id: 'remind', kind: 'reminder', channel: 'sms' }], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'suppress');
    assert.equal(d!.final_channel, null);
    assert.ok(d!.rules.includes('respect.consent'));
    assert.match(d!.reasons.respect.join(' '), /denied sms/);
  });

  test("in quiet hours the action is deferred to the end of the window in the customer's time zone", () => {
    // 23:00 in New York (EDT, UTC−4) on 9 June: quiet until 08:00 local, 12:00 UTC on 10 June.
    const inputs = createTestInputs({ timezone: 'America/New_York', now: Date.parse('2026-06-10T03:00:00Z') });
    const [d] = decide(inputs, [{ action_id: 'sms-1', kind: 'service', channel: 'sms' }], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'defer');
    assert.equal(d!.defer_until, '2026-06-10T12:00:00.000Z');
    assert.deepEqual(d!.rules, ['respect.quiet_hours']);
    assert.match(d!.reasons.respect[0]!, /quiet hours 21:00–08:00 in America\/New_York/);
    const [email] = decide(inputs, [{ action_id: 'email-1', kind: 'service', channel: 'email' }], DEFAULT_POLICIES);
    assert.equal(email!.decision, 'allow', 'an email does not wake anyone');
  });

  test("a consent's own quiet hours win over the policy's", () => {
    const inputs = createTestInputs({ consents: [grant('email', { quiet_start: '14:00', quiet_end: '16:00', timezone: 'UTC' })] });
    const [d] = decide(inputs, [{ action_id: 'e', kind: 'service', channel: 'email' }], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'defer');
    assert.equal(d!.defer_until, '2026-06-10T16:00:00.000Z');
  });

  test('the frequency cap counts marketing contacts already sent and defers the next offer until the window frees', () => {
    const sent = NOW - 2 * DAY;
    const inputs = createTestInputs(
      { consents: [grant('email'), deny('sms'), deny('push'), deny('call')] },
      { outbound: [{ ts: sent, channel: 'email', intent: 'marketing' }, { ts: NOW - DAY, channel: 'email', intent: 'billing' }] },
    );
    const [d] = decide(inputs, [offer()], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'defer');
    assert.deepEqual(d!.rules, ['respect.frequency_cap']);
    assert.equal(d!.defer_until, new Date(sent + 7 * DAY).toISOString());
    assert.match(d!.reasons.respect[0]!, /1 marketing email contact\(s\) in the last 7 days; the cap is 1/);
    const [service] = decide(inputs, [{ action_id: 's', kind: 'service', channel: 'email' }], DEFAULT_POLICIES);
    assert.equal(service!.decision, 'allow', 'caps are for marketing offers by default');
  });

  test('a capped channel reroutes to another channel the customer can be reached on', () => {
    const inputs = createTestInputs({ consents: [grant('email'), grant('sms')] }, { outbound: [{ ts: NOW - DAY, channel: 'email', intent: 'marketing' }] });
    const [d] = decide(inputs, [offer()], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'reroute');
    assert.equal(d!.final_channel, 'sms');
  });

  test('two offers in one evaluation share the cap: the higher priority one goes first', () => {
    const inputs = createTestInputs({ consents: [grant('email'), deny('sms'), deny('push'), deny('call')] });
    const ds = decide(inputs, [offer({ action_id: 'low', product: 'tv', value: 10 }), offer({ action_id: 'high', product: 'mobile_plan', value: 50 })], DEFAULT_POLICIES);
    assert.deepEqual(ds.map((d) => [d.action_id, d.decision]), [
      ['high', 'allow'],
      ['low', 'defer'],
    ]);
  });

  test('no sales offer while a promise is overdue: service first, for credibility', () => {
    const inputs = createTestInputs({
      promises: [{ promise_id: 'P1', kind: 'credit', made_at: NOW - 5 * DAY, due: NOW - 2 * DAY, kept_at: null, agent_id: 'A1', description: null, state: 'overdue' }],
    });
    const ds = decide(inputs, [offer(), { action_id: 'fix', kind: 'service', channel: 'email' }], DEFAULT_POLICIES);
    const o = one(ds, 'offer-tv');
    assert.equal(o.decision, 'suppress');
    assert.deepEqual(o.rules, ['credibility.overdue_promise']);
    assert.match(o.reasons.credibility[0]!, /^service first: a promise \(credit\) was due .* and is not kept/);
    assert.equal(one(ds, 'fix').decision, 'allow');
  });

  test('no sales offer while a detractor case is open', () => {
    const inputs = createTestInputs({
      cases: [{ case_id: 'CS-1', kind: 'detractor', status: 'open', reason: 'NPS 2', owner: 'cx-team', opened_at: NOW - DAY, due_at: NOW + DAY, root_cause_step: null, overdue: false }],
    });
    const [d] = decide(inputs, [offer()], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'suppress');
    assert.deepEqual(d!.rules, ['credibility.open_case']);
  });

  test("no sales offer while the customer's last journey failed unresolved, and the service action ranks first", () => {
    const journey = { journey_id: 'j1', intent: 'pay_bill', start_ts: NOW - 3600_000, end_ts: NOW - 1800_000, steps: 2, channels: ['web'], failures: 1, last_outcome: 'failure', outcome: 'unresolved' };
    const inputs = createTestInputs({ journeys: [journey] });
    const ds = decide(inputs, [offer({ value: 100, propensity: 0.9 }), { action_id: 'help', kind: 'service', channel: 'email', intent: 'pay_bill' }], DEFAULT_POLICIES);
    assert.equal(ds[0]!.action_id, 'help');
    assert.equal(ds[0]!.decision, 'allow');
    assert.equal(ds[0]!.priority, 0.5 * 1 * 1.5 * 2);
    assert.match(ds[0]!.reasons.relevance[0]!, /serves the open journey \(trying to pay the bill\)/);
    assert.equal(ds[1]!.decision, 'suppress');
    assert.deepEqual(ds[1]!.rules, ['credibility.failed_journey']);
  });

  test('a survey inside the cooldown is suppressed for respect', () => {
    const inputs = createTestInputs({}, { survey: { ok: false, rule: 'cooldown', reason: 'the customer was surveyed 3 day(s) ago; the cooldown is 30 days' } });
    const [d] = decide(inputs, [{ action_id: 'nps', kind: 'survey', channel: 'email' }], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'suppress');
    assert.deepEqual(d!.rules, ['respect.survey_cooldown']);
  });

  test('priority is propensity × value × levers, highest first, with the preferred channel as a lever', () => {
    const inputs = createTestInputs({ preferred: { customer_key: 'c', channel: 'sms', votes: [] }, now: Date.parse('2026-06-10T12:00:00Z') });
    const ds = decide(
      inputs,
      [offer({ action_id: 'a', channel: 'email', propensity: 0.2, value: 100 }), offer({ action_id: 'b', product: 'mobile_plan', channel: 'sms', propensity: 0.2, value: 90 })],
      DEFAULT_POLICIES,
    );
    assert.deepEqual(ds.map((d) => [d.action_id, d.priority]), [
      ['b', 21.6],
      ['a', 20],
    ]);
    assert.match(ds[0]!.reasons.value[0]!, /priority 21.6 = propensity 0.2 × value 90 × preferred_channel 1.2/);
  });

  test('an inbound conversation is not held to consent, quiet hours or caps', () => {
    const inputs = createTestInputs({ consents: [deny('call')], now: Date.parse('2026-06-10T23:30:00Z') });
    const [d] = decide(inputs, [offer({ channel: 'call', direction: 'inbound' })], DEFAULT_POLICIES);
    assert.equal(d!.decision, 'allow');
    assert.match(d!.reasons.respect[0]!, /inbound conversation/);
  });

  test('policies change the rules: an opt-in channel with no consent on record is not used', () => {
    const policies = validatePolicies({ consent: { require_grant: ['sms', 'email', 'push', 'call'] } });
    const [d] = decide(createTestInputs(), [{ action_id: 'r', kind: 'reminder', channel: 'sms' }], policies);
    assert.equal(d!.decision, 'suppress');
    assert.match(d!.reasons.respect[0]!, /no sms consent on record/);
  });
});

describe('quiet windows', () => {
  test('a window that wraps midnight ends the next morning, and a daytime instant is outside it', () => {
    assert.equal(quietUntil(Date.parse('2026-06-10T22:30:00Z'), 'UTC', '21:00', '08:00'), Date.parse('2026-06-11T08:00:00Z'));
    assert.equal(quietUntil(Date.parse('2026-06-10T07:59:00Z'), 'UTC', '21:00', '08:00'), Date.parse('2026-06-10T08:00:00Z'));
    assert.equal(quietUntil(Date.parse('2026-06-10T08:00:00Z'), 'UTC', '21:00', '08:00'), null);
    assert.equal(quietUntil(Date.parse('2026-06-10T13:00:00Z'), 'Europe/Amsterdam', '14:00', '16:00'), Date.parse('2026-06-10T14:00:00Z'));
  });
});
