import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { tempDir, writeCsv } from '../../test/support/fixtures.ts';
import { isAppError } from '../core/errors.ts';
import { resolveCustomer } from '../identity/customers.ts';
import { importFiles } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { listCases, showCase } from './cases.ts';
import { createSurveyLink, receiveSms, render, startSession, startSmsSurvey, answer } from './dialogue.ts';
import { computeMetrics } from './metrics.ts';
import { listPraise } from './praise.ts';
import { getSurvey, listSurveys, saveSurvey } from './surveys.ts';
import { createTestSurvey, FIXTURE_INTERACTIONS } from './test-fixture.ts';

const JUNE_6 = Date.UTC(2026, 5, 6, 9);
const HOUR = 3600_000;

/** A store with journeys and profiles but no answers yet, and the test survey. */
async function world(): Promise<{ store: Store; key: (id: string) => Promise<string> }> {
  const dir = tempDir();
  const store = await openStore(path.join(dir, 'db.duckdb'));
  await importFiles(store, [
    writeCsv(dir, 'profiles.csv', [
      { customer_id: 'C1', name: 'Dana Whitfield', phone: '(555) 123-4567' },
      { customer_id: 'C2', name: 'Lee Park', phone: '555-987-6543' },
      { customer_id: 'C3', name: 'Kim Ode' },
    ]),
    writeCsv(dir, 'interactions.csv', FIXTURE_INTERACTIONS),
  ]);
  await saveSurvey(store, createTestSurvey(), JUNE_6 - 24 * HOUR);
  await saveSurvey(
    store,
    createTestSurvey({
      id: 'post_call_csat',
      type: 'transaction',
      questions: [{ id: 'csat', kind: 'csat', text: 'How satisfied were you with your call?' }],
    }),
    JUNE_6 - 24 * HOUR,
  );
  return { store, key: (id) => resolveCustomer(store, `customer_id:${id}`) };
}

describe('surveys in the store', () => {
  let store: Store;
  before(async () => ({ store } = await world()));
  after(() => store.close());

  test('a definition is stored, listed and read back whole', async () => {
    const list = await listSurveys(store);
    assert.deepEqual(list.map((s) => [s.survey_id, s.type, s.questions]), [['post_call_csat', 'transaction', 1], ['rel_nps_sms', 'relationship', 3]]);
    const s = await getSurvey(store, 'rel_nps_sms');
    assert.equal(s.staff[0]!.team, 'billing');
    const { replaced } = await saveSurvey(store, createTestSurvey({ name: 'Renamed' }), JUNE_6);
    assert.equal(replaced, true);
    await assert.rejects(getSurvey(store, 'nope'), (e) => isAppError(e) && e.code === 'not_found');
  });
});

describe('signed survey links', () => {
  let store: Store;
  let key: (id: string) => Promise<string>;
  beforeEach(async () => ({ store, key } = await world()));
  after(() => store.close());

  test('a link works once, then says it was used', async () => {
    const link = await createSurveyLink(store, { surveyId: 'rel_nps_sms', customerKey: await key('C2') }, { now: () => JUNE_6 });
    assert.match(link.path, /^\/s\/[\w-]+\.[0-9a-z]+\.[\w-]+$/);
    const first = await startSession(store, link.token, { now: () => JUNE_6 + HOUR });
    assert.equal(first.question!.kind, 'nps');
    assert.equal(first.text, 'How likely are you to recommend Northwind Mobile to a friend?');
    await assert.rejects(startSession(store, link.token, { now: () => JUNE_6 + 2 * HOUR }), (e) => isAppError(e) && e.code === 'conflict');
    await store.close();
  });

  test('a link expires, and a tampered link is refused', async () => {
    const link = await createSurveyLink(store, { surveyId: 'rel_nps_sms', customerKey: await key('C2') }, { now: () => JUNE_6 });
    await assert.rejects(startSession(store, link.token, { now: () => JUNE_6 + 73 * HOUR }), (e) => isAppError(e) && e.code === 'forbidden' && /expired/.test(e.message));
    const [id, exp, sig] = link.token.split('.') as [string, string, string];
    const later = (parseInt(exp, 36) + 1e9).toString(36);
    await assert.rejects(startSession(store, `${id}.${later}.${sig}`, { now: () => JUNE_6 }), (e) => isAppError(e) && e.code === 'unauthorized');
    await assert.rejects(startSession(store, 'garbage', { now: () => JUNE_6 }), (e) => isAppError(e) && e.code === 'unauthorized');
    await store.close();
  });

  test('contact rules: a cooldown across all surveys, and never while a case is open', async () => {
    const c2 = await key('C2');
    await createSurveyLink(store, { surveyId: 'rel_nps_sms', customerKey: c2 }, { now: () => JUNE_6 });
    await assert.rejects(
      createSurveyLink(store, { surveyId: 'post_call_csat', customerKey: c2 }, { now: () => JUNE_6 + 24 * HOUR }),
      (e) => isAppError(e) && e.code === 'conflict' && /cooldown is 30 days/.test(e.message),
    );
    const c1 = await key('C1');
    const opener = await startSmsSurvey(store, { surveyId: 'rel_nps_sms', customerKey: c1 }, { now: () => JUNE_6 });
    await answer(store, opener.session_id, '2', { now: () => JUNE_6 + HOUR });
    await assert.rejects(
      createSurveyLink(store, { surveyId: 'post_call_csat', customerKey: c1 }, { now: () => JUNE_6 + 60 * 24 * HOUR }),
      (e) => isAppError(e) && /open case/.test(e.message),
    );
    await store.close();
  });
});

describe('the conversational survey', () => {
  let store: Store;
  let key: (id: string) => Promise<string>;
  beforeEach(async () => ({ store, key } = await world()));
  after(() => store.close());

  test('a detractor gets an apology naming their failed step, is asked what would make it right, and a yes opens a callback case', async () => {
    const c1 = await key('C1');
    const opener = await startSmsSurvey(store, { surveyId: 'rel_nps_sms', customerKey: c1 }, { now: () => JUNE_6 });
    assert.match(opener.text, /^Hi Dana, it's Northwind Mobile\. How likely .* Reply with a number from 0 to 10\.$/);

    const reply = await receiveSms(store, { from: '+1 555 123 4567', text: '1 out of 10, would not recommend' }, { now: () => JUNE_6 + HOUR });
    assert.match(reply.text, /^We're sorry, Dana\. We can see your payment failed on our website on 3 June, and that you then had to call us\./);
    assert.match(reply.text, /What would make it right for you\?/);
    assert.match(reply.text, /reply YES/);
    assert.doesNotMatch(reply.text, /sorry to hear/i);
    assert.doesNotMatch(reply.text, /main reason/, 'the next question never follows an apology');
    assert.equal(reply.expects, 'text');
    assert.equal(reply.webhooks.length, 1);
    assert.equal(reply.webhooks[0]!.payload.score, 1);

    const [fb] = await store.query(`SELECT metric, scope, score, comment, customer_key FROM feedback WHERE survey_id = 'rel_nps_sms'`);
    assert.deepEqual({ ...fb }, { metric: 'nps', scope: 'relationship', score: 1, comment: 'would not recommend', customer_key: c1 });
    const m = await computeMetrics(store);
    assert.deepEqual([m.nps.relationship!.n, m.nps.relationship!.detractors], [1, 1]);

    const done = await receiveSms(store, { from: '5551234567', text: 'Yes please, call me after 5pm' }, { now: () => JUNE_6 + 2 * HOUR });
    // The call is promised for the time asked for.
    assert.match(done.text, /^Thank you, Dana\. Someone from our team will call you from Saturday 6 June at 17:00 UTC \(reference CS-[0-9A-F]{10}\)\.$/);
    assert.equal(done.done, true);
    const [c] = await listCases(store, { now: JUNE_6 + 2 * HOUR, customerKey: c1 });
    assert.equal(c!.callback_requested, true);
    assert.equal(c!.status, 'open');
    assert.equal(c!.root_cause_step, 'web:pay_bill/submit_payment');
    assert.equal(c!.due_at, new Date(Date.UTC(2026, 5, 6, 19)).toISOString(), 'due within two hours of the time asked for');
    assert.deepEqual(c!.response_ids, [`sv-${opener.session_id}-nps`]);
    const detail = await showCase(store, c!.case_id, JUNE_6 + 2 * HOUR);
    assert.deepEqual(detail.events.map((e) => e.kind), ['opened', 'callback_requested']);
    // Each answer stays with its question: the score's comment is not extended by later replies.
    assert.equal(detail.answers[0]!.comment, 'would not recommend');
    await store.close();
  });

  test('a detractor who tells us what would make it right is then offered the call once more', async () => {
    const link = await createSurveyLink(store, { surveyId: 'rel_nps_sms', customerKey: await key('C1') }, { now: () => JUNE_6 });
    const s = await startSession(store, link.token, { now: () => JUNE_6 });
    await answer(store, s.session_id, 'three', { now: () => JUNE_6 });
    const offer = await answer(store, s.session_id, 'Refund the late fee', { now: () => JUNE_6 });
    assert.equal(offer.expects, 'yes_no');
    const end = await answer(store, s.session_id, 'no thanks', { now: () => JUNE_6 });
    assert.equal(end.done, true);
    const [c] = await listCases(store, { now: JUNE_6, customerKey: await key('C1') });
    assert.equal(c!.callback_requested, false, 'a no is respected');
    assert.equal(c!.status, 'open', 'the detractor still has a case');
    await store.close();
  });

  test('a promoter is thanked, the employee they name is praised to their team, and no case is opened', async () => {
    const link = await createSurveyLink(store, { surveyId: 'rel_nps_sms', customerKey: await key('C2') }, { now: () => JUNE_6 });
    const s = await startSession(store, link.token, { now: () => JUNE_6 });
    const reply = await answer(store, s.session_id, 'Ten. Maria was brilliant', { now: () => JUNE_6 + HOUR });
    assert.match(reply.text, /^Thank you Lee! We have passed your kind words on to Maria and their team\. Is there anyone you would like to thank\?$/);
    assert.equal(reply.case_id, null);
    const end = await answer(store, s.session_id, 'skip', { now: () => JUNE_6 + HOUR });
    assert.equal(end.done, true);
    assert.deepEqual(await listCases(store, { now: JUNE_6 }), []);
    const praise = await listPraise(store);
    assert.deepEqual(praise.map((p) => [p.staff_id, p.team]), [['AG-1', 'billing']]);
    await store.close();
  });

  test('a CSAT of 2 through a transaction survey opens a case owned by the call queue', async () => {
    const link = await createSurveyLink(store, { surveyId: 'post_call_csat', customerKey: await key('C2'), eventId: 'e3' }, { now: () => JUNE_6 });
    const s = await startSession(store, link.token, { now: () => JUNE_6 });
    const reply = await answer(store, s.session_id, '2', { now: () => JUNE_6 });
    assert.match(reply.text, /^We're sorry, Lee: we clearly let you down/);
    const [c] = await listCases(store, { now: JUNE_6 });
    assert.equal(c!.owner, 'queue:call');
    assert.equal(c!.kind, 'low_csat');
    const m = await computeMetrics(store, { by: 'agent' });
    assert.deepEqual(m.by!.map((g) => [g.key, g.csat.transaction!.n]), [['AG-2', 1]]);
    await store.close();
  });

  test('an answer that is not a score is asked again, and a finished survey says so', async () => {
    const link = await createSurveyLink(store, { surveyId: 'post_call_csat', customerKey: await key('C3') }, { now: () => JUNE_6 });
    const s = await startSession(store, link.token, { now: () => JUNE_6 });
    const again = await answer(store, s.session_id, 'it was ok I guess', { now: () => JUNE_6 });
    assert.equal(again.text, 'Sorry, I did not quite get that. Please reply with a number from 1 to 5, where 5 is very satisfied.');
    const thanks = await answer(store, s.session_id, '4', { now: () => JUNE_6 });
    assert.equal(thanks.done, true);
    assert.match(thanks.text, /^Thank you, Kim, that is great to hear\.$/);
    const after = await answer(store, s.session_id, '5', { now: () => JUNE_6 });
    assert.equal(after.done, true);
    const [n] = await store.query(`SELECT count(*) AS n FROM feedback`);
    assert.equal(n!.n, 1);
    await store.close();
  });
});

describe('templates', () => {
  test('an empty placeholder leaves no stray spaces or commas, and a fallback fills in', () => {
    assert.equal(render('Thank you {first_name}!', { first_name: '' }), 'Thank you!');
    assert.equal(render('Hi {first_name|there}, thanks.', { first_name: '' }), 'Hi there, thanks.');
  });
});

describe('a dialogue that understands the reply it got (issue 19)', () => {
  test('"Please fix the payment page" is what would make it right, not a callback; a sentence to the yes/no offer is asked again, not taken as a no', async () => {
    const { store, key } = await world();
    try {
      const c1 = await key('C1');
      const s = await startSmsSurvey(store, { surveyId: 'rel_nps_sms', customerKey: c1 }, { now: () => JUNE_6 });
      await answer(store, s.session_id, '2', { now: () => JUNE_6 });
      const offer = await answer(store, s.session_id, 'Please fix the payment page', { now: () => JUNE_6 });
      assert.equal(offer.expects, 'yes_no');
      assert.match(offer.text, /Would you like us to call you about it\?/);
      let [c] = await listCases(store, { now: JUNE_6, customerKey: c1 });
      assert.equal(c!.callback_requested, false, 'no callback was asked for');
      const again = await answer(store, s.session_id, 'The page errored twice when I paid', { now: () => JUNE_6 });
      assert.equal(again.done, false, 'a sentence is not a no');
      assert.match(again.text, /^Sorry, I did not quite get that\. Would you like us to call you\?/);
      const yes = await answer(store, s.session_id, 'yes', { now: () => JUNE_6 });
      assert.match(yes.text, /Someone from our team will call you by/);
      [c] = await listCases(store, { now: JUNE_6, customerKey: c1 });
      assert.equal(c!.callback_requested, true);
      const [fb] = await store.query(`SELECT comment, attrs FROM feedback WHERE response_id = $1`, [`sv-${s.session_id}-nps`]);
      assert.equal(fb!.comment, null, 'the score came alone, so it has no comment');
      assert.equal((JSON.parse(String(fb!.attrs)) as { answers: Record<string, unknown> }).answers.nps_make_it_right, 'Please fix the payment page');
    } finally {
      await store.close();
    }
  });

  test('"it was a 1 honestly" by text message is a 1, and no reply is added to another', async () => {
    const { store, key } = await world();
    try {
      const c2 = await key('C2');
      await startSmsSurvey(store, { surveyId: 'rel_nps_sms', customerKey: c2 }, { now: () => JUNE_6 });
      const apology = await receiveSms(store, { from: '5559876543', text: 'it was a 1 honestly' }, { now: () => JUNE_6 });
      assert.equal(apology.expects, 'text');
      await receiveSms(store, { from: '5559876543', text: 'The modem reset never worked' }, { now: () => JUNE_6 });
      await receiveSms(store, { from: '5559876543', text: 'yes' }, { now: () => JUNE_6 });
      const rows = await store.query(`SELECT score, comment FROM feedback WHERE customer_key = $1`, [c2]);
      assert.deepEqual(rows.map((r) => [r.score, r.comment]), [[1, null]]);
      const [c] = await listCases(store, { now: JUNE_6, customerKey: c2 });
      assert.doesNotMatch(c!.reason, /honestly 1|modem reset.*yes/, 'the case reason quotes no garbled text');
    } finally {
      await store.close();
    }
  });

  test('a callback is never promised inside the customer\'s quiet hours', async () => {
    const { store, key } = await world();
    try {
      const c1 = await key('C1');
      // Asked at 22:30 UTC: the default promise (24 hours on) would fall at 22:30, inside 21:00–08:00.
      const late = JUNE_6 + 13.5 * HOUR;
      const s = await startSmsSurvey(store, { surveyId: 'rel_nps_sms', customerKey: c1 }, { now: () => late });
      await answer(store, s.session_id, '0', { now: () => late });
      const done = await answer(store, s.session_id, 'yes please', { now: () => late });
      assert.match(done.text, /will call you by Sunday 7 June at 21:00 UTC/);
      // A time asked for inside quiet hours moves to their end.
      const t = await world();
      try {
        const k = await t.key('C1');
        const s2 = await startSmsSurvey(t.store, { surveyId: 'rel_nps_sms', customerKey: k }, { now: () => JUNE_6 });
        await answer(t.store, s2.session_id, '3', { now: () => JUNE_6 });
        const at11 = await answer(t.store, s2.session_id, 'call me at 11pm', { now: () => JUNE_6 });
        assert.match(at11.text, /will call you from Sunday 7 June at 08:00 UTC \(the earliest we call is after quiet hours\)/);
      } finally {
        await t.store.close();
      }
    } finally {
      await store.close();
    }
  });

  test('STOP ends the survey, and the customer is not surveyed again', async () => {
    const { store, key } = await world();
    try {
      const c2 = await key('C2');
      await startSmsSurvey(store, { surveyId: 'post_call_csat', customerKey: c2 }, { now: () => JUNE_6 });
      const stop = await receiveSms(store, { from: '5559876543', text: 'STOP' }, { now: () => JUNE_6 });
      assert.equal(stop.done, true);
      assert.match(stop.text, /You will not get any more surveys/);
      await assert.rejects(
        createSurveyLink(store, { surveyId: 'rel_nps_sms', customerKey: c2 }, { now: () => JUNE_6 + 90 * 24 * HOUR }),
        (e) => isAppError(e) && e.code === 'conflict' && /opted out/.test(e.message),
      );
    } finally {
      await store.close();
    }
  });

  test('"who is this?" is answered, and the question asked again', async () => {
    const { store, key } = await world();
    try {
      const s = await startSmsSurvey(store, { surveyId: 'post_call_csat', customerKey: await key('C2') }, { now: () => JUNE_6 });
      const who = await answer(store, s.session_id, 'who is this?', { now: () => JUNE_6 });
      assert.match(who.text, /^This is Northwind Mobile, .* How satisfied were you with your call\?/);
      const done = await answer(store, s.session_id, 'five', { now: () => JUNE_6 });
      assert.equal(done.done, true);
    } finally {
      await store.close();
    }
  });
});
