import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeOn, storeTargets } from '../../test/support/store-targets.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { brokenSteps, normalRate, wilsonLower } from './broken.ts';
import type { BrokenStep } from './broken.ts';
import { at, createTestDir, createTestEvent, createTestFeedback, createTestRandom, writeCsv } from './testing.ts';
import type { Cells } from './testing.ts';

/**
 * A contact center with one genuinely broken step (the web payment fails 30% of the time and
 * sends customers to the phone, unhappy), a very busy login that fails a normal 3%, and IVR menus
 * that transfer about a third of callers to an agent by design.
 */
function createPlantedCenter(): { events: Cells[]; feedback: Cells[] } {
  const rnd = createTestRandom(7);
  const events: Cells[] = [];
  const feedback: Cells[] = [];
  for (let c = 1; c <= 700; c++) {
    const customer = `C${c}`;
    for (let visit = 0; visit < 7; visit++) {
      const day = visit * 9 + Math.floor(rnd() * 8);
      let minute = Math.floor(rnd() * 600);
      let unhappy = false;
      const step = (channel: string, activity: string, outcome = 'success'): string => {
        minute += 2 + Math.floor(rnd() * 5);
        events.push(createTestEvent({ customer_id: customer, ts: at(day, minute), channel, activity, outcome }));
        return outcome;
      };
      const call = (intent: string): void => {
        minute += 20;
        step('call', `${intent}/agent`);
      };
      /** A self-service step: fails at `rate`, and a failed customer mostly phones in. */
      const self = (channel: string, activity: string, rate: number, callRate = 0.7): boolean => {
        if (rnd() >= rate) return step(channel, activity) === 'success';
        step(channel, activity, rnd() < 0.8 ? 'failure' : 'abandoned');
        if (rnd() < callRate) call(activity.split('/')[0]!);
        return false;
      };
      const ivrMenu = (intent: string, transfer: number): boolean => {
        if (rnd() < transfer) {
          step('ivr', `${intent}/ivr_menu`, 'transferred');
          call(intent);
          return false;
        }
        return step('ivr', `${intent}/ivr_menu`) === 'success';
      };
      const roll = rnd();
      if (roll < 0.45) {
        // The busiest thing customers do: check their usage on the web after logging in.
        if (self('web', 'check_usage/login', 0.03, 0.3)) self('web', 'check_usage/view_usage', 0.02);
      } else if (roll < 0.65) {
        if (self('web', 'pay_bill/login', 0.03) && self('web', 'pay_bill/view_bill', 0.02)) {
          if (!self('web', 'pay_bill/submit_payment', 0.3, 0.85)) unhappy = true;
        }
      } else if (roll < 0.75) {
        if (self('web', 'plan_change/view_plans', 0.03)) self('web', 'plan_change/confirm_change', 0.03);
      } else if (roll < 0.85) {
        if (ivrMenu('pay_bill', 0.35)) self('ivr', 'pay_bill/ivr_payment', 0.03);
      } else if (roll < 0.93) {
        if (ivrMenu('tech_support', 0.38)) self('ivr', 'tech_support/ivr_outage_message', 0.04);
      } else if (ivrMenu('plan_change', 0.33)) self('ivr', 'plan_change/ivr_plan_info', 0.03);
      if (rnd() < 0.5) {
        const score = unhappy ? (rnd() < 0.7 ? 1 : 2) : rnd() < 0.8 ? 5 : 4;
        feedback.push(createTestFeedback({ customer_id: customer, ts: at(day, minute + 60), score }));
      }
    }
  }
  return { events, feedback };
}

// The ranking is the product's headline answer, so it must be the same on either store.
for (const target of storeTargets()) {
  describeOn(target, 'broken steps of a planted contact center', () => {
    let store: Store;
    let remove: () => Promise<void>;
    let ranking: BrokenStep[];

    before(async () => {
      const t = await createTestDir();
      remove = t.remove;
      const { events, feedback } = createPlantedCenter();
      const files = [await writeCsv(t.dir, 'events.csv', events), await writeCsv(t.dir, 'feedback.csv', feedback)];
      store = await openStore(await target.freshLocation('broken'));
      await importFiles(store, files);
      ranking = await brokenSteps(store);
    });

    after(async () => {
      await store.close();
      await remove();
    });

    const rankOf = (activity: string, channel = 'web'): number => ranking.findIndex((s) => s.channel === channel && s.activity === activity);

    test('the planted broken step ranks first, above the busiest step and the IVR menus that transfer by design', () => {
      assert.equal(rankOf('pay_bill/submit_payment'), 0);
      const planted = ranking[0]!;
      for (const [channel, activity] of [
        ['web', 'check_usage/login'],
        ['web', 'pay_bill/login'],
        ['ivr', 'pay_bill/ivr_menu'],
        ['ivr', 'tech_support/ivr_menu'],
        ['ivr', 'plan_change/ivr_menu'],
      ] as const) {
        const other = ranking[rankOf(activity, channel)]!;
        assert.ok(other.customers_affected > 20, `${activity} fails often enough to matter by volume`);
        assert.ok(other.impact < planted.impact / 10, `${channel}:${activity} has ${other.impact}, far below ${planted.impact}`);
      }
      assert.ok(ranking[rankOf('check_usage/login')]!.events > planted.events * 2, 'the login is much busier');
    });

    test('a broken step’s failures are described by what happened next in the journey', () => {
      const s = ranking[0]!;
      assert.ok(Math.abs(s.failure_rate - 0.3) < 0.05);
      assert.ok(s.excess_failure_rate > 0.2, 'most of its failures are above the normal rate for web steps');
      assert.ok(s.expected_failure_rate < 0.08);
      assert.ok(s.switch_rate > 0.75 && s.switch_rate < 0.95, 'most failed payers phoned in');
      assert.equal(s.downstream_contacts, Math.round(s.contacts_per_failure * s.failed_journeys));
      assert.ok(s.extra_contacts_per_failure > 0.5);
      assert.ok(s.satisfaction_drop !== null && s.satisfaction_drop > 0.5, `satisfaction drop ${s.satisfaction_drop}`);
      assert.ok(s.repeat_contact_rate >= 0 && s.repeat_contact_rate <= 1);
    });

    test('transfers at the usual rate of routing steps are no excess, though a transfer sends the caller to an agent', () => {
      for (const intent of ['pay_bill', 'tech_support', 'plan_change']) {
        const menu = ranking[rankOf(`${intent}/ivr_menu`, 'ivr')]!;
        assert.ok(menu.failure_rate > 0.3);
        assert.ok(menu.extra_contacts_per_failure > 0.5, 'each transfer brings a call');
        assert.ok(menu.excess_failure_rate < 0.03, `${intent} menu excess ${menu.excess_failure_rate}`);
      }
    });

    test('the list is sorted by impact and --top keeps the first N', async () => {
      for (let i = 1; i < ranking.length; i++) assert.ok(ranking[i - 1]!.impact >= ranking[i]!.impact);
      assert.deepEqual(await brokenSteps(store, { top: 3 }), ranking.slice(0, 3));
    });
  });
}

test('a step is compared with its channel, and transfers only with steps that transfer', () => {
  const row = (channel: string, events: number, failure: number, transferred = 0) => ({
    channel,
    activity: `${channel}-${events}-${failure}-${transferred}`,
    events,
    customers: failure + transferred,
    kinds: { failure, abandoned: 0, transferred },
  });
  const steps = [row('web', 100, 2), row('web', 100, 4), row('web', 100, 30), row('web', 10, 9), row('ivr', 100, 0, 35), row('ivr', 100, 3)];
  assert.equal(normalRate(steps[2]!, 'failure', steps), 0.04, 'the median of the web steps with enough events');
  assert.equal(normalRate(steps[4]!, 'transferred', steps), 0.35, 'the only routing step is its own norm');
  assert.equal(normalRate(steps[5]!, 'transferred', steps), 0, 'a step that never transfers has no normal transfer rate');
  assert.ok(wilsonLower(30, 100) < 0.3 && wilsonLower(30, 100) > 0.2);
  assert.ok(wilsonLower(3000, 10_000) > wilsonLower(30, 100), 'more volume, more confidence');
});
