import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestSurvey, FIXTURE_INTERACTIONS } from '../feedback/test-fixture.ts';
import { escapeHtml } from './routes/survey-page.ts';
import { startTestServer } from './testing.ts';
import type { TestServer } from './testing.ts';

const JUNE_6 = Date.UTC(2026, 5, 6, 9);
const HOUR = 3600_000;

/** A webhook receiver on loopback that records what it is sent; `hang` never answers. */
async function receiver(mode: 'ok' | 'hang' = 'ok'): Promise<{ url: string; received: unknown[]; close: () => Promise<void> }> {
  const received: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      if (mode === 'ok') res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/cx?secret=s3cr3t`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), what);
}

const form = (fields: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
const sessionOf = (html: string): string => /name="session" value="([^"]+)"/.exec(html)?.[1] ?? assert.fail(`no session in ${html}`);

describe('surveys over HTTP', () => {
  let s: TestServer;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let clock = JUNE_6;
  const logged: string[] = [];

  before(async () => {
    hook = await receiver();
    s = await startTestServer({ now: () => clock, webhookTimeoutMs: 300, logger: { info: () => undefined, warn: (m) => logged.push(m) } });
    await s.load('profiles', [
      { customer_id: 'C1', name: 'Dana Whitfield', phone: '(555) 123-4567', timezone: 'UTC' },
      { customer_id: 'C2', name: 'Lee Park', phone: '555-987-6543' },
      { customer_id: 'C3', name: 'Kim <b>Ode</b>' },
      { customer_id: 'C10', name: 'Sam Reyes', phone: '555-222-0110', timezone: 'UTC' },
      { customer_id: 'C11', name: 'Ana Lima', phone: '555-222-0111' },
    ]);
    await s.load('interactions', [
      ...FIXTURE_INTERACTIONS,
      { event_id: 'm1', customer_id: 'C10', ts: '2026-06-04T08:00:00Z', channel: 'app', activity: 'tech_support/reset_modem', outcome: 'failure' },
      { event_id: 'm2', customer_id: 'C11', ts: '2026-06-04T08:00:00Z', channel: 'web', activity: 'pay_bill/view_bill', outcome: 'success' },
    ]);
  });
  after(async () => {
    await s.close();
    await hook.close();
  });

  const define = (overrides: Record<string, unknown> = {}, url = hook.url) => {
    const survey = createTestSurvey(overrides) as { questions: { branches?: { actions?: { type: string; url?: string }[] }[] }[] };
    // Never the fixture's example.com receiver: tests make no calls off this machine.
    for (const b of survey.questions[0]!.branches ?? []) for (const a of b.actions ?? []) if (a.type === 'webhook') a.url = url;
    return s.call('analyst', { method: 'POST', url: '/api/v1/surveys', payload: survey });
  };
  const link = async (customer: string, body: Record<string, unknown> = {}, survey = 'rel_nps_sms') => {
    const r = await s.call('agent', { method: 'POST', url: `/api/v1/surveys/${survey}/links`, payload: { customer, ...body } });
    assert.equal(r.statusCode, 201, r.body);
    return r.json<{ url: string; token: string; expires_at: string }>();
  };

  test('a definition posted by an analyst is validated, stored with its defaults and read back; a bad one names every problem', async () => {
    const bad = await s.call('analyst', {
      method: 'POST',
      url: '/api/v1/surveys',
      payload: createTestSurvey({ type: 'weekly', questions: [{ id: 'nps', kind: 'nps', text: 'Sorry to hear that', branches: [{ when: 'detractor' }] }] }),
    });
    assert.equal(bad.statusCode, 400);
    const error = bad.json<{ error: { code: string; message: string } }>().error;
    assert.equal(error.code, 'input');
    assert.match(error.message, /\$\.type: must be relationship or transaction/);
    assert.match(error.message, /\$\.questions\[0\]\.text: says "sorry to hear"/);
    assert.match(error.message, /\$\.questions\[0\]\.branches\[0\]\.actions: answers of 0–6 are unhappy customers/);
    assert.equal((await s.call('analyst', { method: 'POST', url: '/api/v1/surveys', payload: [1] })).statusCode, 400);

    const created = await define();
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.headers.location, '/api/v1/surveys/rel_nps_sms');
    const stored = created.json<{ id: string; link_expiry_hours: number; contact_rules: { cooldown_days: number } }>();
    assert.deepEqual([stored.id, stored.link_expiry_hours, stored.contact_rules.cooldown_days], ['rel_nps_sms', 72, 30]);
    assert.deepEqual((await s.call('analyst', { method: 'GET', url: '/api/v1/surveys/rel_nps_sms' })).json(), stored);
    assert.equal((await define()).statusCode, 200, 'posting the same id again replaces it');
  });

  test('a link is signed, expires when asked, and is refused for an unknown customer or survey and by the contact rules', async () => {
    const l = await link('customer_id:C3', { expires_in_hours: 2 });
    assert.match(l.url, /^\/s\/[\w-]+\.[0-9a-z]+\.[\w-]+$/);
    assert.equal(l.url, `/s/${l.token}`);
    assert.equal(l.expires_at, new Date(JUNE_6 + 2 * HOUR).toISOString());
    const post = (customer: string, survey = 'rel_nps_sms') => s.call('agent', { method: 'POST', url: `/api/v1/surveys/${survey}/links`, payload: { customer } });
    assert.equal((await post('customer_id:NOBODY')).statusCode, 404);
    assert.equal((await post('customer_id:C3', 'no_such_survey')).statusCode, 404);
    const again = await post('customer_id:C3');
    assert.equal(again.statusCode, 409);
    assert.match(again.json<{ error: { message: string } }>().error.message, /cooldown is 30 days/);
    const tooLong = await s.call('agent', { method: 'POST', url: '/api/v1/surveys/rel_nps_sms/links', payload: { customer: 'customer_id:C3', expires_in_hours: 5000 } });
    assert.equal(tooLong.statusCode, 400);

    clock = JUNE_6 + 3 * HOUR;
    try {
      const expired = await s.app.inject({ method: 'GET', url: l.url });
      assert.equal(expired.statusCode, 403);
      assert.match(expired.body, /This survey link has expired/);
    } finally {
      clock = JUNE_6;
    }
  });

  test('the hosted page needs no key, shows the first question as a plain form, and showing it does not use the link up', async () => {
    const l = await link('customer_id:C2');
    for (let i = 0; i < 2; i++) {
      const r = await s.app.inject({ method: 'GET', url: l.url });
      assert.equal(r.statusCode, 200, r.body);
      assert.match(String(r.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.match(String(r.headers['content-security-policy']), /default-src 'none'; style-src 'sha256-/);
      assert.match(r.body, /How likely are you to recommend Northwind Mobile to a friend\?/);
      assert.match(r.body, /<form method="post">/);
      assert.equal((r.body.match(/type="radio" name="answer"/g) ?? []).length, 11);
      assert.doesNotMatch(r.body, /<script|src=|href=|name="session"/);
    }
    const thanks = await s.app.inject({ method: 'POST', url: l.url, headers: { accept: 'application/json' }, payload: { answer: '10' } });
    assert.equal(thanks.statusCode, 200, thanks.body);
    const m = thanks.json<{ text: string; done: boolean; session: string; expects: string }>();
    assert.match(m.text, /^Thank you Lee!/);
    assert.doesNotMatch(m.text, /sorry/i);
    const cases = (await s.call('analyst', { method: 'GET', url: '/api/v1/cases' })).json<{ customer_key: string }[]>();
    assert.equal(cases.length, 0, 'a promoter opens no case');
    assert.equal((await s.app.inject({ method: 'GET', url: l.url })).statusCode, 409);
  });

  test('a detractor on the page gets an apology naming their failed step and a callback offer; a yes opens the callback; the link is then spent', async () => {
    const l = await link('customer_id:C1');
    const empty = await s.app.inject({ method: 'POST', url: l.url, ...form({ answer: '' }) });
    assert.equal(empty.statusCode, 400, 'an empty form does not use the link up');
    assert.match(empty.body, /Please choose an answer/);

    const sorry = await s.app.inject({ method: 'POST', url: l.url, ...form({ answer: '1' }) });
    assert.equal(sorry.statusCode, 200, sorry.body);
    assert.match(sorry.body, /We&#39;re sorry, Dana\. We can see your payment failed on our website on 3 June, and that you then had to call us\./);
    assert.match(sorry.body, /What would make it right for you\?/);
    assert.match(sorry.body, /<textarea id="answer" name="answer"/);
    assert.match(sorry.body, /value="YES"><button type="submit">Yes, please call me<\/button>/);
    const session = sessionOf(sorry.body);

    const [opened] = (await s.call('analyst', { method: 'GET', url: '/api/v1/cases?status=open' })).json<{ case_id: string; customer_key: string; root_cause_step: string; callback_requested: boolean }[]>();
    assert.equal(opened?.root_cause_step, 'web:pay_bill/submit_payment');
    assert.equal(opened.callback_requested, false);
    await eventually(() => hook.received.length === 1, 'the webhook was delivered');
    assert.deepEqual(
      { ...(hook.received[0] as Record<string, unknown>), session_id: '-', response_id: '-' },
      { event: 'survey.answer', survey_id: 'rel_nps_sms', session_id: '-', customer_key: opened.customer_key, question_id: 'nps', metric: 'nps', score: 1, response_id: '-', case_id: opened.case_id },
    );

    const reused = await s.app.inject({ method: 'POST', url: l.url, ...form({ answer: '9' }) });
    assert.equal(reused.statusCode, 409);
    assert.match(reused.body, /This survey has already been answered/);

    const yes = await s.app.inject({ method: 'POST', url: l.url, ...form({ answer: 'YES', session }) });
    assert.equal(yes.statusCode, 200, yes.body);
    assert.match(yes.body, new RegExp(`Someone from our team will call you by .* \\(reference ${opened.case_id}\\)`));
    assert.match(yes.body, /You can close this page now/);
    const c = (await s.call('agent', { method: 'GET', url: `/api/v1/cases/${opened.case_id}` })).json<{ callback_requested: boolean }>();
    assert.equal(c.callback_requested, true);

    const after = await s.app.inject({ method: 'POST', url: l.url, ...form({ answer: 'hello', session }) });
    assert.equal(after.statusCode, 409, 'a finished conversation takes no more answers');
  });

  test('a forged or mangled link is a 401 page, and what comes from data is escaped', async () => {
    const l = await link('customer_id:C11');
    const [id, exp, sig] = l.token.split('.') as [string, string, string];
    for (const url of [`/s/${id}.${(parseInt(exp, 36) + 1e6).toString(36)}.${sig}`, '/s/garbage', `/s/${l.token}x`]) {
      const r = await s.app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 401, url);
      assert.match(r.body, /This survey link is not valid/);
    }
    const long = await s.app.inject({ method: 'POST', url: l.url, ...form({ answer: 'x'.repeat(20_000) }) });
    assert.equal(long.statusCode, 413);
    assert.match(long.body, /Your answer is too long/);
    const json = await s.app.inject({ method: 'POST', url: '/s/garbage', payload: { answer: '1' } });
    assert.deepEqual(Object.keys(json.json()), ['error']);
    assert.equal(escapeHtml(`<script>"x" & 'y'</script>`), '&#60;script&#62;&#34;x&#34; &#38; &#39;y&#39;&#60;/script&#62;');

    await define({ id: 'xss', company: '<img src=x onerror=alert(1)>', contact_rules: { cooldown_days: 0, max_per_period: null } });
    const x = await link('customer_id:C11', {}, 'xss');
    const page = await s.app.inject({ method: 'GET', url: x.url });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /<img/);
    assert.match(page.body, /&#60;img src=x onerror=alert\(1\)&#62;/);
  });

  test('the conversational endpoint: a started SMS survey, answered "1 out of 10", apologises for the failed step; a promoter is thanked', async () => {
    const started = await s.call('agent', { method: 'POST', url: '/api/v1/surveys/rel_nps_sms/conversations', payload: { customer: 'customer_id:C10' } });
    assert.equal(started.statusCode, 201, started.body);
    assert.match(started.json<{ text: string }>().text, /^Hi Sam, it's Northwind Mobile\. How likely .* Reply with a number from 0 to 10\.$/);

    const inbound = (body: Record<string, string>) => s.inbound(body);
    const sorry = await inbound({ from: '+1 555 222 0110', text: '1 out of 10, would not recommend' });
    assert.equal(sorry.statusCode, 200, sorry.body);
    const doc = sorry.json<{ reply: string; done: boolean }>();
    assert.deepEqual(Object.keys(doc).sort(), ['done', 'expects', 'reply']);
    assert.match(doc.reply, /^We're sorry, Sam\. We can see the modem reset failed in our app on 4 June\. What would make it right for you\? .*just reply YES\.$/);
    const nothing = await inbound({ from: '555-000-0000', text: 'hello' });
    assert.equal(nothing.statusCode, 200, nothing.body);
    assert.equal(nothing.json<{ reply: string | null }>().reply, null, 'nothing to send');

    // A text from a customer with no survey in progress starts one when the gateway names it.
    const opener = await inbound({ from: '555 987 6543', text: 'SURVEY', survey_id: 'xss' });
    assert.equal(opener.statusCode, 200, opener.body);
    assert.match(opener.json<{ reply: string }>().reply, /^Hi Lee, it's <img/);
    const thanks = await inbound({ from: '555 987 6543', text: 'Ten! Maria sorted it' });
    assert.match(thanks.json<{ reply: string }>().reply, /^Thank you Lee!/);
    await eventually(() => hook.received.length === 2, 'the detractor webhook fired once more, for Sam');
    assert.equal((hook.received[1] as { score: number }).score, 1, 'and none for the promoter');
  });

  test('a webhook that fails or hangs is logged and never reaches the customer', async () => {
    const hang = await receiver('hang');
    try {
      await define({ id: 'hooks_hang', contact_rules: { cooldown_days: 0, max_per_period: null, skip_if_open_case: false } }, hang.url);
      await define({ id: 'hooks_refused', contact_rules: { cooldown_days: 0, max_per_period: null, skip_if_open_case: false } }, 'http://127.0.0.1:9/refused');
      for (const survey of ['hooks_hang', 'hooks_refused']) {
        const l = await link('customer_id:C11', { expires_in_hours: 1 }, survey);
        const r = await s.app.inject({ method: 'POST', url: l.url, ...form({ answer: '0' }) });
        assert.equal(r.statusCode, 200, r.body);
        assert.match(r.body, /What would make it right for you\?/);
        clock = JUNE_6 + 2 * HOUR;
        try {
          const later = await s.app.inject({ method: 'POST', url: l.url, ...form({ answer: 'no thank you', session: sessionOf(r.body) }) });
          assert.equal(later.statusCode, 200, 'a conversation begun before the link expired can be finished after');
          assert.match(later.body, /Understood/);
        } finally {
          clock = JUNE_6;
        }
      }
      await eventually(() => logged.some((m) => /no answer within 300 ms/.test(m)) && logged.some((m) => /127\.0\.0\.1:9\/refused failed/.test(m)), logged.join('\n'));
      assert.ok(!logged.join('\n').includes('s3cr3t'), 'the log leaves out query strings');
    } finally {
      await hang.close();
    }
  });
});
