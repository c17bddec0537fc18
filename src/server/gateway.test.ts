/**
 * The SMS gateway's endpoint (docs/security.md, "The SMS gateway"): only gateway keys, each
 * request signed the way Twilio signs webhooks, and one answer for every number, so a caller
 * cannot tell a customer's phone from a stranger's or read a first name it was not meant to.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestSurvey, FIXTURE_INTERACTIONS } from '../feedback/test-fixture.ts';
import { gatewaySignature, signedText } from './gateway-signature.ts';
import { startTestServer } from './testing.ts';
import type { TestServer } from './testing.ts';

const INBOUND = '/api/v1/conversations/inbound';
const HOST = 'throughline.test';

describe('the SMS gateway endpoint', () => {
  let s: TestServer;

  before(async () => {
    s = await startTestServer({ now: () => Date.UTC(2026, 5, 6, 9) });
    await s.load('profiles', [
      { customer_id: 'G1', name: 'Dana Whitfield', phone: '555-301-0001' },
      { customer_id: 'G2', name: 'Lee Park', phone: '555-301-0002' },
      { customer_id: 'G3', name: 'Sam Reyes', phone: '555-301-0003' },
    ]);
    await s.load('interactions', FIXTURE_INTERACTIONS);
    const survey = createTestSurvey({ id: 'gw_nps', contact_rules: { cooldown_days: 0, max_per_period: null, skip_if_open_case: false } });
    assert.equal((await s.call('analyst', { method: 'POST', url: '/api/v1/surveys', payload: survey })).statusCode, 201);
  });
  after(() => s.close());

  const post = (body: Record<string, string>, headers: Record<string, string>) =>
    s.app.inject({ method: 'POST', url: INBOUND, headers: { host: HOST, ...headers }, payload: body });
  const signed = (body: Record<string, string>, secret = s.gatewaySecret, url = `http://${HOST}${INBOUND}`) => ({
    authorization: `Bearer ${s.keys.gateway}`,
    'x-twilio-signature': gatewaySignature(secret, url, body),
  });

  test("signatures are Twilio's: the worked example of Twilio's security documentation gives its published signature", () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' };
    assert.equal(signedText('https://mycompany.com/myapp.php?foo=1&bar=2', params), 'https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675310Digits1234From+14158675310To+18005551212');
    assert.equal(gatewaySignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params), 'GvWf1cFY/Q7PnoempGyD5oXAezc=');
  });

  test('a collector key, however valid, cannot post inbound texts', async () => {
    const r = await post({ from: '555-301-0001', text: 'hello' }, { authorization: `Bearer ${s.keys.collector}` });
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(r.json<{ error: { code: string } }>().error.code, 'forbidden');
  });

  test('a gateway key without a signature, or with a wrong one, is refused before anything is read or recorded', async () => {
    const body = { from: '555-301-0001', text: '0', survey_id: 'gw_nps' };
    const cases = async () => (await s.call('analyst', { method: 'GET', url: '/api/v1/cases' })).json<unknown[]>().length;
    const before = await cases();
    const attempts: [string, Record<string, string>][] = [
      ['no signature', { authorization: `Bearer ${s.keys.gateway}` }],
      ['an empty signature', { authorization: `Bearer ${s.keys.gateway}`, 'x-twilio-signature': '' }],
      ['another secret', signed(body, 'not-the-gateway-secret-at-all')],
      ['another URL', signed(body, s.gatewaySecret, `https://${HOST}${INBOUND}`)],
      ['other words', signed({ ...body, text: '10' })],
      ['another sender', signed({ ...body, from: '555-301-0002' })],
    ];
    for (const [what, headers] of attempts) {
      const r = await post(body, headers);
      assert.equal(r.statusCode, 401, `${what}: ${r.body}`);
      assert.deepEqual(Object.keys(r.json()), ['error'], what);
      assert.match(r.json<{ error: { message: string } }>().error.message, /x-twilio-signature/, what);
    }
    assert.equal(await cases(), before, 'no refused request recorded an answer or opened a case');
  });

  test('a signed request is answered; behind a TLS proxy the https URL is the one signed', async () => {
    const body = { from: '555-301-0001', text: 'START', survey_id: 'gw_nps' };
    const r = await post(body, signed(body));
    assert.equal(r.statusCode, 200, r.body);
    assert.match(r.json<{ reply: string }>().reply, /How likely/);
    const next = { from: '+1 555 301 0001', text: '10' };
    const proxied = await post(next, { ...signed(next, s.gatewaySecret, `https://${HOST}${INBOUND}`), 'x-forwarded-proto': 'https' });
    assert.equal(proxied.statusCode, 200, proxied.body);
    assert.match(proxied.json<{ reply: string }>().reply, /^Thank you/);
  });

  test('known and unknown numbers get the same status and the same fields, and a stranger gets no name', async () => {
    const answers = [];
    for (const from of ['555-301-0002', '555-999-0000', '+44 20 7946 0000']) {
      for (const body of [{ from, text: 'hello' }, { from, text: 'SURVEY', survey_id: 'gw_nps' }] as Record<string, string>[]) {
        const r = await s.inbound(body);
        answers.push({ from, survey: 'survey_id' in body, status: r.statusCode, fields: Object.keys(r.json()).sort(), doc: r.json<{ reply: string | null }>() });
      }
    }
    for (const a of answers) {
      assert.equal(a.status, 200, JSON.stringify(a));
      assert.deepEqual(a.fields, ['done', 'expects', 'reply'], JSON.stringify(a));
    }
    // No survey waiting: nothing to send, whoever texts.
    assert.deepEqual(answers.filter((a) => !a.survey).map((a) => a.doc), [0, 1, 2].map(() => ({ reply: null, expects: null, done: true })));
    const strangers = answers.filter((a) => a.from !== '555-301-0002');
    assert.ok(strangers.every((a) => a.doc.reply === null), JSON.stringify(strangers));
    assert.ok(!JSON.stringify(strangers).includes('Lee') && !JSON.stringify(strangers).includes('Dana'), 'no first name reaches a stranger');
  });

  test("a number two customers share, or a customer the contact rules protect, looks like a stranger's", async () => {
    await s.load('profiles', [{ customer_id: 'G4', name: 'Ana Lima', phone: '555-301-0003' }]);
    const shared = await s.inbound({ from: '555-301-0003', text: 'SURVEY', survey_id: 'gw_nps' });
    assert.equal(shared.statusCode, 200, shared.body);
    assert.deepEqual(shared.json(), { reply: null, expects: null, done: true });
    // Kim was sent a survey link today: a survey with a 30-day cooldown may not ask her again.
    await s.load('profiles', [{ customer_id: 'G5', name: 'Kim Ode', phone: '555-301-0005' }]);
    assert.equal((await s.call('agent', { method: 'POST', url: '/api/v1/surveys/gw_nps/links', payload: { customer: 'customer_id:G5' } })).statusCode, 201);
    const strict = createTestSurvey({ id: 'gw_strict', contact_rules: { cooldown_days: 30 } });
    assert.equal((await s.call('analyst', { method: 'POST', url: '/api/v1/surveys', payload: strict })).statusCode, 201);
    const protectedOne = await s.inbound({ from: '555-301-0005', text: 'SURVEY', survey_id: 'gw_strict' });
    assert.equal(protectedOne.statusCode, 200, protectedOne.body);
    assert.deepEqual(protectedOne.json(), { reply: null, expects: null, done: true });
    assert.ok(!protectedOne.body.includes('Kim'));
  });

  test('a survey that does not exist is the gateway’s mistake, told alike for every number', async () => {
    for (const from of ['555-301-0001', '555-999-0001']) {
      const r = await s.inbound({ from, text: 'SURVEY', survey_id: 'no_such_survey' });
      assert.equal(r.statusCode, 404, r.body);
      assert.match(r.json<{ error: { message: string } }>().error.message, /no_such_survey/);
    }
  });

  test('keys create --role gateway makes a signing secret, or takes the provider’s', async () => {
    const made = await s.call('admin', { method: 'POST', url: '/api/v1/keys', payload: { role: 'gateway', name: 'sms' } });
    assert.equal(made.statusCode, 201, made.body);
    assert.match(made.json<{ signing_secret: string }>().signing_secret, /^[A-Za-z0-9_-]{43}$/);
    const given = await s.call('admin', { method: 'POST', url: '/api/v1/keys', payload: { role: 'gateway', signing_secret: 'twilio-auth-token-0123456789' } });
    assert.equal(given.statusCode, 201, given.body);
    assert.ok(!given.body.includes('twilio-auth-token'), 'a secret given is not echoed back');
    const other = await s.call('admin', { method: 'POST', url: '/api/v1/keys', payload: { role: 'collector', signing_secret: 'twilio-auth-token-0123456789' } });
    assert.equal(other.statusCode, 400, other.body);
    const listed = await s.call('admin', { method: 'GET', url: '/api/v1/keys' });
    assert.ok(!listed.body.includes('twilio-auth-token'), 'keys list never shows a signing secret');
  });
});
