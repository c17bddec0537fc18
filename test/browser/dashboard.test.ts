/**
 * The dashboard as a person uses it: a real server on loopback over a fresh DuckDB file with a
 * small demo (and again over a fresh PostgreSQL database, where a server answers), the built
 * app, and Debian's Chromium driven by playwright-core. Every page is opened, the flows of
 * issue 7 are walked through, a screenshot of each page is written to THROUGHLINE_SCREENSHOTS
 * (default screenshots/; PostgreSQL's in its postgres/ folder), and no console error may appear.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import type { ContextDoc } from '../../src/engage/context.ts';
import type { CaseDoc } from '../../src/feedback/cases.ts';
import { saveSurvey } from '../../src/feedback/surveys.ts';
import type { BrokenStep } from '../../src/journey/broken.ts';
import type { JourneyMap } from '../../src/journey/map.ts';
import type { JourneysDocument } from '../../src/journey/summary.ts';
import { writeDemo } from '../../src/demo/index.ts';
import { importFiles } from '../../src/ingest/import.ts';
import { createApp, createKey } from '../../src/server/index.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { registerDashboard } from '../../src/web/index.ts';
import { CHROMIUM, DIST, ensureBuilt, LAUNCH_ARGS, NO_BROWSER } from '../support/browser.ts';
import { describeOn, storeTargets } from '../support/store-targets.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SHOTS = path.resolve(ROOT, process.env.THROUGHLINE_SCREENSHOTS ?? 'screenshots');



/** The survey of docs/feedback.md, so the Surveys page has something to preview. */
const SURVEY = {
  id: 'rel_nps_sms',
  name: 'How are we doing?',
  type: 'relationship',
  company: 'Northwind Mobile',
  questions: [
    {
      id: 'nps',
      kind: 'nps',
      text: 'How likely are you to recommend {company} to a friend or colleague?',
      branches: [
        { when: 'detractor', actions: [{ type: 'open_case' }, { type: 'offer_callback' }] },
        { when: { min: 7, max: 8 }, next: 'why' },
        { when: 'promoter', message: 'Thank you {first_name}!', next: 'end' },
      ],
    },
    { id: 'why', kind: 'text', text: 'What is the main reason for your score?' },
    { id: 'channel', kind: 'choice', text: 'How did you last contact us?', choices: ['phone', 'web', 'store'] },
  ],
};

interface World {
  dir: string;
  store: Store;
  app: FastifyInstance;
  url: string;
  admin: string;
  agent: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and failed requests seen in any page, with where they happened. */
  problems: string[];
  /** `METHOD /api/v1/...` as the server's OpenAPI description lists them. */
  endpoints: ReadonlySet<string>;
}

const skip = NO_BROWSER;

for (const target of storeTargets()) {
  // The same pages on either store (issue 8): PostgreSQL answers every call the dashboard makes.
  if (skip !== false) test(`the dashboard in a real browser (${target.name})`, { skip }, () => undefined);
  else describeOn(target, 'the dashboard in a real browser', () => {
    /** DuckDB's screenshots where they always were; PostgreSQL's in a folder beside them. */
    const shots = target.dialect === 'duckdb' ? SHOTS : path.join(SHOTS, target.dialect);
    let w: World;

    async function api<T>(p: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
      const res = await fetch(`${w.url}/api/v1/${p}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${w.admin}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      const text = await res.text();
      assert.ok(res.ok, `${p}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    }

    function watch(page: Page, where: () => string): void {
      page.on('console', (m) => {
        if (m.type() === 'error') w.problems.push(`${where()}: console error: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => w.problems.push(`${where()}: uncaught: ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 400) w.problems.push(`${where()}: ${r.status()} from ${r.request().method()} ${r.url()}`);
      });
    }

    async function shot(name: string, page: Page = w.page): Promise<void> {
      // Charts animate in; a still picture should show them settled.
      await page.waitForTimeout(600);
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    }

    async function open(p: string): Promise<void> {
      await w.page.goto(`${w.url}${p}`);
      await w.page.locator('h1').first().waitFor();
    }

    before(async () => {
      ensureBuilt();
      fs.mkdirSync(shots, { recursive: true });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-browser-'));
      const now = new Date();
      const demo = await writeDemo(path.join(dir, 'demo'), { customers: 400, days: 45, seed: 7, end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())) });
      const store = await openStore(await target.freshLocation('dashboard'));
      await importFiles(store, Object.values(demo.files).map((f) => f.path));
      await saveSurvey(store, SURVEY, Date.now());
      const admin = (await createKey(store, 'admin', 'browser test', Date.now())).key;
      const agent = (await createKey(store, 'agent', 'browser test', Date.now())).key;
      const app = await createApp({ store });
      // Once `createApp` serves the dashboard itself, registering it again would clash.
      if (!app.hasRoute({ method: 'GET', url: '/assets/*' })) await registerDashboard(app, { distDir: DIST });
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      const docs = (await (await fetch(`${address}/api/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const endpoints = new Set(Object.entries(docs.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
      w = { dir, store, app, url: address, admin, agent, browser, context, page, problems: [], endpoints };
      watch(page, () => new URL(page.url()).pathname);
    });

    after(async () => {
      await w?.browser.close();
      await w?.app.close();
      await w?.store.close();
      if (w !== undefined) fs.rmSync(w.dir, { recursive: true, force: true });
    });

    test('an admin signs in with a key and lands on the overview', async () => {
      await w.page.goto(w.url);
      await w.page.fill('input[name=key]', w.admin);
      await w.page.click('button[type=submit]');
      await w.page.locator('nav a[aria-current=page]', { hasText: 'Overview' }).waitFor();
      assert.equal(await w.page.locator('.who .role').textContent(), 'admin');
      assert.equal(await w.page.evaluate("sessionStorage.getItem('throughline.session') !== null"), true, 'the key is kept for this tab');
    });

    test('the overview shows real figures, the NPS trend and the top broken steps', async () => {
      const journeys = await api<JourneysDocument>('journeys');
      const broken = await api<BrokenStep[]>('broken?top=3');
      await w.page.locator('.figure', { hasText: 'Resolved journeys' }).locator('.figure-value').waitFor();
      const resolved = await w.page.locator('.figure', { hasText: 'Resolved journeys' }).locator('.figure-value').textContent();
      assert.equal(resolved, `${(journeys.resolved_rate! * 100).toFixed(1)}%`);
      assert.match((await w.page.locator('.figure', { hasText: 'Relationship NPS' }).locator('.figure-value').textContent()) ?? '', /^[+-]?\d+$/);
      await w.page.locator('.chart svg path[stroke="#2357c6"]').first().waitFor({ state: 'attached' });
      // The overview's requests answer in any order: the ranking may come after the chart.
      assert.ok(broken.length > 0, 'the demo has broken steps');
      await w.page.locator('ol.ranked li strong').nth(broken.length - 1).waitFor();
      const top = await w.page.locator('ol.ranked li strong').allTextContents();
      assert.deepEqual(top, broken.map((b) => `${b.channel}:${b.activity}`));
      await shot('overview');
    });

    test('a figure on the overview links to its page', async () => {
      await w.page.locator('a.figure', { hasText: 'Overdue cases' }).click();
      await w.page.waitForURL(/\/cases\?overdue=1/);
      assert.equal(await w.page.locator('input[name=overdue]').isChecked(), true);
    });

    test('the journey map draws a Sankey and filters by intent', async () => {
      await open('/map');
      const all = await api<JourneyMap>('map');
      await w.page.locator('#sankey-title', { hasText: `${all.journeys.toLocaleString('en-GB')} journeys` }).waitFor();
      await w.page.locator('.chart svg text').first().waitFor();
      assert.ok((await w.page.locator('.chart svg text').count()) > 10, 'step labels are drawn');
      await shot('journey-map');

      const payBill = await api<JourneyMap>('map?intent=pay_bill');
      await w.page.selectOption('select[name=intent]', 'pay_bill');
      await w.page.waitForURL(/intent=pay_bill/);
      await w.page.locator('#sankey-title', { hasText: `${payBill.journeys.toLocaleString('en-GB')} journeys to pay bill` }).waitFor();
      const labels = await w.page.locator('.chart svg text').allTextContents();
      assert.ok(labels.some((l) => l.includes('submit payment')), `pay_bill steps are drawn: ${labels.join(', ')}`);
      assert.ok(!labels.some((l) => /check usage|tech support/.test(l)), `no other intent is drawn: ${labels.join(', ')}`);
    });

    test('the journey map filters by activity and duration, kept in the address', async () => {
      await open('/map');
      const step = 'pay_bill/submit_payment';
      const through = await api<JourneyMap>(`map?contains=${encodeURIComponent(step)}`);
      const all = await api<JourneyMap>('map');
      assert.ok(through.journeys > 0 && through.journeys < all.journeys, 'the filter keeps some journeys, not all');
      await w.page.fill('input[name=contains]', step);
      await w.page.press('input[name=contains]', 'Enter');
      await w.page.waitForURL(/contains=pay_bill%2Fsubmit_payment/);
      await w.page.locator('#sankey-title', { hasText: `${through.journeys.toLocaleString('en-GB')} journeys` }).waitFor();

      const long = await api<JourneyMap>(`map?contains=${encodeURIComponent(step)}&min-duration=1d`);
      await w.page.fill('input[name=min-duration]', '1d');
      await w.page.press('input[name=min-duration]', 'Enter');
      await w.page.waitForURL(/min-duration=1d/);
      await w.page.locator('#sankey-title', { hasText: `${long.journeys.toLocaleString('en-GB')} journeys` }).waitFor();
      await w.page.getByRole('button', { name: 'Clear filters' }).click();
      await w.page.locator('#sankey-title', { hasText: `${all.journeys.toLocaleString('en-GB')} journeys` }).waitFor();
    });

    test('clicking a step on the map shows its volumes, failure rate, next steps and variants', async () => {
      // Its own state: the test before it clears its filters.
      await open('/map?intent=pay_bill');
      await w.page.locator('#sankey-title', { hasText: 'journeys to pay bill' }).waitFor();
      await w.page.locator('.chart svg text', { hasText: 'web · submit payment' }).first().click();
      await w.page.waitForURL(/step=web%3Apay_bill%2Fsubmit_payment/);
      const panel = w.page.locator('[data-testid=step-panel]');
      await panel.waitFor();
      await panel.locator('dd strong', { hasText: /^\d+\.\d%$/ }).waitFor();
      assert.ok((await panel.locator('table tbody tr').count()) >= 2, 'what happens next is listed');
      // Variants through the step are listed: a request of their own, which may answer after the
      // failure rate's, so waited for rather than counted at once.
      await panel.locator('ol.variants li').first().waitFor();
      assert.ok((await w.page.locator('[data-testid=loops] li').count()) >= 1, 'loops a Sankey cannot draw are listed beside it');
      await shot('journey-map-step');
    });

    test('broken steps are ranked by impact, and a step has its own page', async () => {
      await open('/broken');
      // The page lists by default the steps that fail beyond what is normal for their kind.
      const broken = (await api<BrokenStep[]>('broken?top=25')).filter((b) => b.excess_failure_rate > 0);
      const rows = w.page.locator('[data-testid=broken-table] tbody tr');
      await rows.first().waitFor();
      assert.equal(await rows.count(), broken.length);
      assert.equal(await rows.first().locator('td').nth(7).textContent(), broken[0]!.impact.toFixed(1));
      await shot('broken-steps');
      await rows.first().locator('a').first().click();
      await w.page.locator('h1', { hasText: `Broken step ${broken[0]!.channel}:${broken[0]!.activity}` }).waitFor();
      await w.page.locator('.figure', { hasText: 'Failure rate' }).waitFor();
      await w.page.locator('ol.variants li').first().waitFor();
      await shot('broken-step');
    });

    test('agents and teams show raw and adjusted scores with intervals, teams first', async () => {
      await open('/agents');
      await w.page.locator('[data-testid=teams-table] tbody tr').first().waitFor();
      await w.page.locator('[data-testid=agents-table] tbody tr').first().waitFor();
      const tables = await w.page.locator('table').evaluateAll((ts) => ts.map((t) => t.getAttribute('data-testid')));
      assert.deepEqual(tables.slice(0, 2), ['teams-table', 'agents-table']);
      const first = await w.page.locator('[data-testid=agents-table] tbody tr').first().locator('td').allTextContents();
      assert.match(first[1] ?? '', /^\d\.\d\d$/, 'raw CSAT');
      assert.match(first[2] ?? '', /^\d\.\d\d$/, 'adjusted CSAT');
      assert.ok((await w.page.locator('.interval-band').count()) > 0, 'intervals are drawn');
      await shot('agents');
    });

    test('people are listed by team by default, with the limits of individual scores beside them', async () => {
      await open('/agents');
      await w.page.locator('[data-testid=agents-table] tbody tr').first().waitFor();
      assert.match(await w.page.locator('[data-testid=individual-limits]').innerText(), /listed by team.*not to rank people for pay/s);
      const teams = await w.page.locator('[data-testid=agents-table] tbody th .muted-text').allTextContents();
      const order = teams.map((t) => t.split(' · ').pop());
      assert.ok(new Set(order).size >= 3);
      assert.equal(order.filter((t, i) => i > 0 && t !== order[i - 1]).length, new Set(order).size - 1, 'a team never comes back');
    });

    test('teams set eNPS beside customer outcomes, with the association and the caution', async () => {
      await open('/teams');
      await w.page.locator('[data-testid=teams-overview-table] tbody tr').first().waitFor();
      assert.ok((await w.page.locator('[data-testid=teams-overview-table] tbody tr').count()) >= 3);
      assert.match(await w.page.locator('[data-testid=teams-association]').innerText(), /eNPS and adjusted CSAT, across \d+ teams/);
      await w.page.getByText('Not causal.').waitFor();
      await shot('teams');
    });

    test("outbound timing shows what follows each local hour's contacts and the guard's defaults", async () => {
      await open('/outbound');
      await w.page.locator('[data-testid=outbound-hours] tbody tr').first().waitFor();
      const hours = await w.page.locator('[data-testid=outbound-hours] tbody th').allTextContents();
      assert.ok(hours.includes('20'), `the planted evening hour is listed: ${hours.join(' ')}`);
      await w.page.getByText("The guard's defaults: quiet hours 21:00–08:00").waitFor();
      await shot('outbound');
    });

    test('feedback shows metrics by a breakdown and verbatims that filter by sentiment', async () => {
      await open('/feedback?by=channel');
      await w.page.locator('[data-testid=metrics-table] tbody tr').first().waitFor();
      assert.ok((await w.page.locator('[data-testid=metrics-table] tbody tr').count()) >= 3, 'one row per channel');
      await w.page.locator('[data-testid=verbatims] li').first().waitFor();
      await w.page.selectOption('select[name=sentiment]', 'negative');
      await w.page.waitForURL(/sentiment=negative/);
      await w.page.locator('[data-testid=verbatims] li').first().waitFor();
      const classes = await w.page.locator('[data-testid=verbatims] li').evaluateAll((ls) => ls.map((l) => l.className));
      assert.ok(classes.length > 0 && classes.every((c) => c.includes('negative')), classes.join(', '));
      await shot('feedback');
    });

    test('a case is opened, contacted and resolved with its root cause', async (t) => {
      await open('/cases?status=open');
      const rows = w.page.locator('[data-testid=cases-table] tbody tr');
      await rows.first().waitFor();
      await shot('cases');
      const id = (await rows.first().locator('a').first().textContent())!;
      await rows.first().locator('a').first().click();
      await w.page.locator('h1', { hasText: `Case ${id}` }).waitFor();
      await w.page.locator('[data-testid=dialogue] li').first().waitFor();
      await w.page.locator('[data-testid=timeline] li').first().waitFor();
      await shot('case');
      const missing = ['POST /api/v1/cases/{id}/contact', 'POST /api/v1/cases/{id}/resolve'].filter((e) => !w.endpoints.has(e));
      if (missing.length > 0) {
        // The dashboard must say so rather than offer forms that cannot work.
        await w.page.locator('[data-unavailable]').waitFor();
        t.skip(`the server has no ${missing.join(' or ')}; the case page says working a case is not available`);
        return;
      }

      await w.page.fill('textarea[name=note]', 'Called the customer and apologised; the payment went through on the call.');
      await w.page.click('button:has-text("Record contact")');
      await w.page.locator('.pill', { hasText: /^contacted/ }).first().waitFor();
      assert.equal((await api<CaseDoc>(`cases/${id}`)).status, 'contacted');

      const cause = await w.page.inputValue('input[name=root_cause]');
      if (cause === '') await w.page.fill('input[name=root_cause]', 'web:pay_bill/submit_payment');
      await w.page.check('input[name=issue_resolved][value=yes]');
      await w.page.click('button:has-text("Resolve case")');
      await w.page.locator('p.note', { hasText: 'This case is resolved' }).waitFor();
      const done = await api<CaseDoc>(`cases/${id}`);
      assert.equal(done.status, 'resolved');
      assert.equal(done.issue_resolved, true);
      assert.ok(done.root_cause !== null && done.root_cause !== '');
    });

    test('the outer loop groups cases by root-cause step', async () => {
      await open('/cases?view=rollup');
      await w.page.locator('[data-testid=rollup-table] tbody tr').first().waitFor();
      assert.ok((await w.page.locator('[data-testid=rollup-table] tbody tr').count()) >= 2);
      await shot('cases-outer-loop');
    });

    test('a customer looked up by a bare phone number shows a failed web step in their timeline', async () => {
      // A customer whose latest steps include a failed web step, found through the API an agent uses.
      const rows = await w.store.query(
        `SELECT customer_key FROM interactions WHERE channel = 'web' AND outcome IN ('failure', 'abandoned') GROUP BY customer_key ORDER BY max(ts) DESC LIMIT 20`,
      );
      let found: { phone: string } | null = null;
      for (const r of rows) {
        const ctx = await api<ContextDoc>(`customers/${encodeURIComponent(String(r.customer_key))}/context?recent=30`);
        const phone = ctx.identifiers.find((i) => i.type === 'phone' && !/^0+$/.test(i.value));
        if (phone !== undefined && ctx.recent.some((s) => s.channel === 'web' && (s.outcome === 'failure' || s.outcome === 'abandoned'))) {
          found = { phone: phone.value };
          break;
        }
      }
      assert.ok(found !== null, 'the demo has a customer with a recent failed web step and a phone number');
      await open('/customer');
      // As an agent types what the caller says: a bare national number (stored as E.164).
      const spoken = found.phone.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, '$1-$2-$3');
      assert.notEqual(spoken, found.phone, `${found.phone} is a US number`);
      await w.page.fill('input[name=customer]', spoken);
      await w.page.click('form[role=search] button[type=submit]');
      await w.page.locator('[data-testid=context]').waitFor();
      const failedWeb = w.page.locator('[data-testid=timeline] li.failed[data-channel=web]');
      await failedWeb.first().waitFor();
      assert.match((await failedWeb.first().textContent()) ?? '', /✕ (failure|abandoned)/);
      assert.ok((await w.page.locator('[data-testid=talking-points] li').count()) >= 1);
      await shot('customer');
    });

    test('an engagement evaluation suppresses an offer of a product the customer holds', async () => {
      const [held] = await w.store.query(`SELECT customer_key, product FROM holdings WHERE until IS NULL ORDER BY customer_key, product LIMIT 1`);
      assert.ok(held !== undefined, 'the demo has a customer with a product');
      await open(`/engagement?customer=${encodeURIComponent(String(held.customer_key))}`);
      await w.page.locator('p.note', { hasText: 'holds' }).waitFor();
      await w.page.fill('input[name=action_id_0]', 'offer-held');
      await w.page.selectOption('select[name=kind_0]', 'offer');
      await w.page.fill('input[name=product_0]', String(held.product));
      await w.page.click('button:has-text("Evaluate")');
      const row = w.page.locator('[data-testid=decisions] tr[data-action=offer-held]');
      await row.waitFor();
      assert.equal(await row.getAttribute('data-decision'), 'suppress');
      assert.match((await row.textContent()) ?? '', /relevance/);
      await shot('engagement');
    });

    test('surveys are listed and one is previewed with its branches', async (t) => {
      await open('/surveys');
      const missing = ['GET /api/v1/surveys', 'GET /api/v1/surveys/{id}'].filter((e) => !w.endpoints.has(e));
      if (missing.length > 0) {
        await w.page.locator('[data-unavailable]').waitFor();
        await shot('surveys');
        t.skip(`the server has no ${missing.join(' or ')}; the page says surveys are not available`);
        return;
      }
      await w.page.locator('[data-testid=surveys-table] a', { hasText: SURVEY.name }).click();
      await w.page.locator('[data-testid=questions] > li').first().waitFor();
      assert.equal(await w.page.locator('[data-testid=questions] > li').count(), SURVEY.questions.length);
      await w.page.locator('button.score', { hasText: /^3$/ }).click();
      assert.match((await w.page.locator('.branch.active').textContent()) ?? '', /opens a case/);
      await shot('survey');
    });

    test('the pages are readable at tablet width without sideways scrolling', async () => {
      await w.page.setViewportSize({ width: 768, height: 1024 });
      try {
        for (const [p, name] of [
          ['/', 'overview-768'],
          ['/map?intent=pay_bill', 'journey-map-768'],
          ['/cases', 'cases-768'],
        ] as const) {
          await open(p);
          await w.page.locator('.figure-value, .chart svg, [data-testid=cases-table]').first().waitFor();
          const wide = await w.page.evaluate<number>('document.documentElement.scrollWidth');
          assert.ok(wide <= 768, `${p} is ${wide}px wide`);
          await shot(name);
        }
      } finally {
        await w.page.setViewportSize({ width: 1280, height: 900 });
      }
    });

    test('the keyboard reaches the skip link and the navigation first', async () => {
      await open('/');
      await w.page.keyboard.press('Tab');
      assert.equal(await w.page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Skip to content');
      await w.page.keyboard.press('Tab');
      await w.page.keyboard.press('Tab');
      assert.equal(await w.page.evaluate<boolean>("document.activeElement?.closest('nav') != null"), true);
    });

    test('an agent key sees customers, cases and engagement only', async (t) => {
      const page = await w.browser.newPage({ viewport: { width: 1280, height: 900 } });
      const before = w.problems.length;
      watch(page, () => `agent ${new URL(page.url()).pathname}`);
      try {
        await page.goto(w.url);
        await page.fill('input[name=key]', w.agent);
        await page.click('button[type=submit]');
        await page.locator('nav a[aria-current=page]', { hasText: 'Customer' }).waitFor();
        assert.deepEqual(await page.locator('nav a').allTextContents(), ['Cases', 'Customer', 'Engagement']);
        await page.goto(`${w.url}/map`);
        await page.waitForURL(/\/customer$/);
      } finally {
        await page.close();
      }
      // Without GET /api/v1/me the app learns a key's role from calls the role may or may not
      // make (api.ts detectRole); an agent's two refused calls are then expected, and only those.
      if (!w.endpoints.has('GET /api/v1/me')) {
        t.diagnostic('the server has no GET /api/v1/me: the agent role was found by refused calls to /api/v1/keys and /api/v1/metrics');
        const probe = /(403 from GET \S+\/api\/v1\/(keys|metrics)$)|(status of 403 \(Forbidden\) \(\S+\/api\/v1\/(keys|metrics)\)$)/;
        const mine = w.problems.splice(before);
        w.problems.push(...mine.filter((p) => !probe.test(p)));
      }
    });

    test('no page wrote a console error or made a failing request', () => {
      assert.deepEqual(w.problems, []);
    });
  });
}
