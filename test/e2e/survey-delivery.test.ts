/**
 * Survey delivery as a new user tries it (issue 4, "Done when"): a real server on loopback over a
 * demo dataset, plain fetch, no API key on the hosted page. A survey is defined through the API;
 * a customer whose journey broke answers 1 on the page and by text message, and is answered with
 * an apology naming their failed step, and a case; a promoter is thanked and gets none; a link
 * works once and expires. On DuckDB and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { writeDemo } from '../../src/demo/index.ts';
import { channelWords, stepNoun } from '../../src/feedback/phrases.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { gatewaySignature } from '../../src/server/gateway-signature.ts';
import { createKey } from '../../src/server/keys.ts';
import { startServer } from '../../src/server/listen.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { openStore } from '../../src/store/open.ts';
import { tempDir } from '../support/fixtures.ts';
import { describeOn, once, storeTargets } from '../support/store-targets.ts';

const DAY = 24 * 3600_000;
const HOUR = 3600_000;

/** A customer whose last 30 days hold exactly one broken step, so the step the apology must name is known. */
interface Candidate {
  customer_key: string;
  phone: string | null;
  channel: string;
  activity: string;
  intent: string | null;
}

/** The words a page shows, with tags dropped and entities decoded. */
function pageText(html: string): string {
  return html
    .replace(/<head>[\s\S]*?<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/\s+/g, ' ')
    .trim();
}

const SURVEY = (hook: string) => ({
  id: 'rel_nps_web',
  name: 'How are we doing?',
  type: 'relationship',
  company: 'Northwind Mobile',
  questions: [
    {
      id: 'nps',
      kind: 'nps',
      text: 'How likely are you to recommend {company} to a friend or colleague?',
      branches: [
        { when: 'detractor', actions: [{ type: 'open_case' }, { type: 'offer_callback' }, { type: 'webhook', url: hook }] },
        { when: { min: 7, max: 8 }, next: 'why' },
        { when: 'promoter', message: 'Thank you {first_name}!', next: 'end' },
      ],
    },
    { id: 'why', kind: 'text', text: 'What is the main reason for your score?' },
  ],
});

// The demo ends tonight, so its recent failures fall within the 30 days an apology looks back.
// One world for both stores, generated once.
const demoWorld = once(() => writeDemo(path.join(tempDir('throughline-surveys-'), 'data'), { customers: 300, days: 60, seed: 11, end: new Date(Math.ceil(Date.now() / DAY) * DAY) }));

for (const target of storeTargets()) describeOn(target, 'survey delivery, tried as a new user would', () => {
  let server: RunningServer;
  let base: string;
  let skewMs = 0;
  const keys: Record<'analyst' | 'agent' | 'collector', string> = { analyst: '', agent: '', collector: '' };
  let gateway = { key: '', secret: '' };
  const hooks: Record<string, unknown>[] = [];
  let hookServer: http.Server;
  let hookUrl: string;
  let pool: Candidate[];

  before(async () => {
    hookServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/cx`;

    const db = await target.freshLocation('surveys');
    const demo = await demoWorld();
    const store = await openStore(db);
    try {
      await importFiles(store, Object.values(demo.files).map((f) => f.path));
      for (const role of ['analyst', 'agent', 'collector'] as const) keys[role] = (await createKey(store, role, `e2e ${role}`, Date.now())).key;
      const gw = await createKey(store, 'gateway', 'e2e gateway', Date.now());
      gateway = { key: gw.key, secret: gw.signing_secret! };
    } finally {
      await store.close();
    }
    // The server's clock can be moved forward to see a link expire; everything else runs on real time.
    server = await startServer({ db, host: '127.0.0.1', port: 0, logger: { info: () => undefined, warn: () => undefined }, dashboardDir: null, now: () => Date.now() + skewMs });
    base = server.url;

    // Customers the default contact rules allow surveying now (no open case, no survey or answer
    // in 30 days, fewer than 3 invitations in 90), with exactly one broken step in the last 30 days.
    const now = Date.now();
    const rows = await server.store.query(
      `WITH broken AS (
         SELECT customer_key, count(*) AS n, min(channel) AS channel, min(activity) AS activity, min(intent) AS intent FROM interactions
         WHERE coalesce(direction, 'inbound') = 'inbound' AND outcome IN ('failure', 'abandoned') AND ts BETWEEN $1 AND $2
         GROUP BY customer_key),
       own_phone AS (SELECT phone FROM id_tuples WHERE phone IS NOT NULL AND customer_key IS NOT NULL GROUP BY phone HAVING count(DISTINCT customer_key) = 1)
       SELECT b.customer_key, b.channel, b.activity, b.intent,
         (SELECT substr(min(t.phone), 3) FROM id_tuples t JOIN own_phone o ON o.phone = t.phone WHERE t.customer_key = b.customer_key AND t.phone LIKE '+1%' AND length(t.phone) = 12) AS phone
       FROM broken b
       WHERE b.n = 1
         AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_key = b.customer_key AND c.status IN ('open', 'contacted'))
         AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.customer_key = b.customer_key AND f.ts > $1)
         AND (SELECT count(*) FROM interactions o WHERE o.customer_key = b.customer_key AND o.direction = 'outbound'
                AND (o.activity LIKE 'survey/%' OR o.intent = 'survey') AND o.ts > $3) = 0
       ORDER BY b.customer_key`,
      [now - 30 * DAY, now, now - 90 * DAY],
    );
    pool = rows.map((r) => ({
      customer_key: String(r.customer_key),
      phone: r.phone === null ? null : String(r.phone),
      channel: String(r.channel),
      activity: String(r.activity),
      intent: r.intent === null ? null : String(r.intent),
    }));
    assert.ok(pool.filter((c) => c.phone !== null).length >= 2 && pool.length >= 5, `too few customers to survey: ${pool.length}`);
  });

  after(async () => {
    await server?.close();
    hookServer?.closeAllConnections();
    await new Promise((resolve) => hookServer?.close(resolve));
  });

  /** Takes a customer from the pool (each is surveyed once: the cooldown would refuse a second survey), keeping phones for texts. */
  const take = (withPhone = false): Candidate => {
    const without = pool.findIndex((c) => c.phone === null);
    const i = withPhone ? pool.findIndex((c) => c.phone !== null) : without >= 0 ? without : 0;
    assert.ok(i >= 0, 'no customer left to survey');
    return pool.splice(i, 1)[0]!;
  };
  const api = async (role: keyof typeof keys, method: string, url: string, body?: unknown): Promise<Response> =>
    fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${keys[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const postForm = (url: string, fields: Record<string, string>): Promise<Response> =>
    fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  const link = async (customer: string, body: Record<string, unknown> = {}): Promise<string> => {
    const r = await api('agent', 'POST', '/api/v1/surveys/rel_nps_web/links', { customer, ...body });
    assert.equal(r.status, 201, await r.clone().text());
    return ((await r.json()) as { url: string }).url;
  };
  const casesOf = async (customerKey: string): Promise<{ case_id: string; root_cause_step: string | null; callback_requested: boolean }[]> => {
    const r = await api('analyst', 'GET', '/api/v1/cases');
    const all = (await r.json()) as { case_id: string; customer_key: string; root_cause_step: string | null; callback_requested: boolean }[];
    return all.filter((c) => c.customer_key === customerKey);
  };
  const namesTheStep = (reply: string, c: Candidate): void => {
    assert.ok(reply.includes(stepNoun(c.activity, c.intent)), `"${reply}" names ${stepNoun(c.activity, c.intent)} (${c.channel}:${c.activity})`);
    assert.ok(reply.includes(channelWords(c.channel)), `"${reply}" says ${channelWords(c.channel)}`);
    assert.doesNotMatch(reply, /sorry to hear/i);
  };

  test('an analyst defines the survey through the API', async () => {
    const r = await api('analyst', 'POST', '/api/v1/surveys', SURVEY(hookUrl));
    assert.equal(r.status, 201, await r.clone().text());
    const listed = (await (await api('analyst', 'GET', '/api/v1/surveys')).json()) as { survey_id: string }[];
    assert.deepEqual(listed.map((s) => s.survey_id), ['rel_nps_web']);
  });

  test('answered 1 on the hosted page: a personal apology naming the failed step, a case, a callback on yes, and the link cannot be reused', async () => {
    const c = take();
    const url = await link(c.customer_key);

    const shown = await fetch(`${base}${url}`);
    assert.equal(shown.status, 200);
    assert.match(pageText(await shown.text()), /How likely are you to recommend Northwind Mobile to a friend or colleague\?/);

    const answered = await postForm(url, { answer: '1' });
    assert.equal(answered.status, 200);
    const html = await answered.text();
    const reply = pageText(html);
    assert.match(reply, /^Northwind Mobile We're sorry(, [^.]+)?\. We can see /);
    namesTheStep(reply, c);
    assert.match(reply, /What would make it right for you\?/);
    assert.match(reply, /Yes, please call me/);

    const [opened] = await casesOf(c.customer_key);
    assert.ok(opened !== undefined, 'a case is open for the customer');
    assert.equal(opened.root_cause_step, `${c.channel}:${c.activity}`, 'the case blames the step the apology named');
    for (let i = 0; i < 50 && !hooks.some((h) => h.customer_key === c.customer_key); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      hooks.filter((h) => h.customer_key === c.customer_key).map((h) => [h.event, h.score, h.case_id]),
      [['survey.answer', 1, opened.case_id]],
      'the webhook received the answer',
    );

    const session = /name="session" value="([^"]+)"/.exec(html)![1]!;
    const yes = await postForm(url, { answer: 'YES', session });
    assert.equal(yes.status, 200);
    assert.match(pageText(await yes.text()), new RegExp(`will call you by .* \\(reference ${opened.case_id}\\)`));
    const [withCallback] = await casesOf(c.customer_key);
    assert.equal(withCallback!.callback_requested, true);

    const again = await postForm(url, { answer: '1' });
    assert.equal(again.status, 409);
    assert.match(pageText(await again.text()), /already been answered/);
    assert.equal((await fetch(`${base}${url}`)).status, 409);
  });

  test('answered 10 on the hosted page: thanks, and no case', async () => {
    const c = take();
    const url = await link(c.customer_key);
    const r = await postForm(url, { answer: '10' });
    assert.equal(r.status, 200);
    const reply = pageText(await r.text());
    assert.match(reply, /Thank you/);
    assert.doesNotMatch(reply, /sorry/i);
    assert.deepEqual(await casesOf(c.customer_key), []);
  });

  test('an expired link says so with a 403 and records nothing', async () => {
    const c = take();
    const url = await link(c.customer_key, { expires_in_hours: 1 });
    skewMs = 2 * HOUR;
    try {
      const shown = await fetch(`${base}${url}`);
      assert.equal(shown.status, 403);
      assert.match(pageText(await shown.text()), /This survey link has expired/);
      assert.equal((await postForm(url, { answer: '1' })).status, 403);
    } finally {
      skewMs = 0;
    }
    assert.deepEqual(await casesOf(c.customer_key), []);
  });

  test('the same by text message: "1 out of 10" gets the apology naming the failed step and a case; a promoter is thanked', async () => {
    const unhappy = take(true);
    const started = await api('agent', 'POST', '/api/v1/surveys/rel_nps_web/conversations', { customer: `phone:${unhappy.phone}` });
    assert.equal(started.status, 201, await started.clone().text());
    assert.match(((await started.json()) as { text: string }).text, /How likely .* Reply with a number from 0 to 10\.$/);

    // An SMS gateway posts in E.164; the CRM holds the national number.
    // It signs each request with its key's signing secret, over the URL it posts to.
    const inbound = (from: string, text: string) => {
      const body = { from: `+1${from}`, text };
      const url = `${base}/api/v1/conversations/inbound`;
      return fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${gateway.key}`, 'content-type': 'application/json', 'x-twilio-signature': gatewaySignature(gateway.secret, url, body) },
        body: JSON.stringify(body),
      });
    };
    const r = await inbound(unhappy.phone!, '1 out of 10');
    assert.equal(r.status, 200, await r.clone().text());
    const { reply } = (await r.json()) as { reply: string };
    assert.match(reply, /^We're sorry(, [^.]+)?\. We can see /);
    namesTheStep(reply, unhappy);
    assert.match(reply, /just reply YES\.$/);
    assert.equal((await casesOf(unhappy.customer_key)).length, 1);

    const happy = take(true);
    assert.equal((await api('agent', 'POST', '/api/v1/surveys/rel_nps_web/conversations', { customer: happy.customer_key })).status, 201);
    const thanks = (await (await inbound(happy.phone!, '10')).json()) as { reply: string; done: boolean };
    assert.match(thanks.reply, /^Thank you/);
    assert.equal(thanks.done, true);
    assert.deepEqual(await casesOf(happy.customer_key), []);
  });
});
