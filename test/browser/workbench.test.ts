/**
 * The analyst's workbench (issue 22, dashboard items 1–6) in Debian's Chromium: from a KPI, a
 * driver, a topic and a map edge to the customers behind each, and the list downloaded as CSV
 * whose rows are the number that was clicked (and whose cells a spreadsheet cannot run); the
 * drivers, risk and promises pages; the map's picture as SVG and PNG; and a screenshot of every
 * page at 1440 and 400 px wide in THROUGHLINE_SCREENSHOTS (default screenshots/), workbench-*.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import type { CaseDoc, RollupRow } from '../../src/feedback/cases.ts';
import type { TopicSummary } from '../../src/feedback/comments.ts';
import type { DrillDoc } from '../../src/insight/drill.ts';
import type { Driver } from '../../src/insight/drivers.ts';
import type { PromisesDoc } from '../../src/insight/promises.ts';
import type { RiskScore } from '../../src/insight/risk.ts';
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

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SHOTS = path.resolve(ROOT, process.env.THROUGHLINE_SCREENSHOTS ?? 'screenshots');
/** A name a spreadsheet would run as a formula if the CSV let it. */
const HOSTILE_NAME = '=HYPERLINK("http://evil.example","click")';



/** RFC 4180 as the dashboard writes it: quoted cells may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const skip = NO_BROWSER;

describe('the analyst workbench in a real browser', { skip }, () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let url: string;
  let admin: string;
  let browser: Browser;
  let page: Page;
  let hostileKey: string;
  const problems: string[] = [];

  async function api<T>(p: string): Promise<T> {
    const res = await fetch(`${url}/api/v1/${p}`, { headers: { authorization: `Bearer ${admin}` } });
    const text = await res.text();
    assert.ok(res.ok, `${p}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async function open(p: string): Promise<void> {
    await page.goto(`${url}${p}`);
    await page.locator('h1').first().waitFor();
  }

  /** Clicks the CSV button of the list page and reads the file the browser saved. */
  async function downloadList(): Promise<string[][]> {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=drill-csv]').click()]);
    assert.match(download.suggestedFilename(), /^throughline-\w+-\d{4}-\d{2}-\d{2}\.csv$/);
    const file = await download.path();
    return parseCsv(fs.readFileSync(file, 'utf8'));
  }

  /** The list page shows the number clicked, then its CSV holds a row for each and a header. */
  async function checkList(expected: number, what: string): Promise<string[][]> {
    await page.waitForURL(/\/drill\?/);
    await page.locator('#drill-title', { hasText: new RegExp(`^${expected.toLocaleString('en-GB')} `) }).waitFor();
    await page.locator('[data-testid=drill-table] tbody tr').first().waitFor();
    const rows = await downloadList();
    assert.deepEqual(rows[0], ['customer_key', 'name', 'phone', rows[0]![3], 'time_utc', 'detail'], `${what}: the CSV header`);
    assert.equal(rows.length - 1, expected, `${what}: one CSV row for each thing the figure counts`);
    assert.ok(rows.slice(1).every((r) => r.length === 6), `${what}: every row has six cells`);
    assert.ok(rows.slice(1).some((r) => r[1] !== ''), `${what}: customers are named from their profiles`);
    return rows;
  }

  before(async () => {
    ensureBuilt();
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-workbench-'));
    const now = new Date();
    const demo = await writeDemo(path.join(dir, 'demo'), { customers: 400, days: 45, seed: 7, end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())) });
    store = await openStore(path.join(dir, 'store.duckdb'));
    await importFiles(store, Object.values(demo.files).map((f) => f.path));
    // A known customer with a resolved journey gets a name a spreadsheet would run as a formula.
    const [known] = await store.query(
      `SELECT j.customer_key, min(t.customer_id) AS customer_id FROM journeys j JOIN id_tuples t ON t.customer_key = j.customer_key
       WHERE j.outcome = 'resolved' AND t.customer_id IS NOT NULL GROUP BY j.customer_key ORDER BY j.customer_key LIMIT 1`,
    );
    hostileKey = String(known!.customer_key);
    const profile = path.join(dir, 'hostile-profiles.csv');
    fs.writeFileSync(profile, `customer_id,name\n${String(known!.customer_id)},"${HOSTILE_NAME.replace(/"/g, '""')}"\n`);
    await importFiles(store, [profile]);
    admin = (await createKey(store, 'admin', 'workbench test', Date.now())).key;
    app = await createApp({ store });
    if (!app.hasRoute({ method: 'GET', url: '/assets/*' })) await registerDashboard(app, { distDir: DIST });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${page.url()}: console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: uncaught: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${page.url()}: ${r.status()} from ${r.url()}`);
    });
    await page.goto(url);
    await page.fill('input[name=key]', admin);
    await page.click('button[type=submit]');
    await page.locator('nav a[aria-current=page]', { hasText: 'Overview' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a KPI opens the journeys it counts, and their CSV cannot run as a formula', async () => {
    const resolved = await api<JourneysDocument>('journeys?outcome=resolved');
    await open('/');
    await page.locator('[data-drill="Resolved journeys"]').click();
    const rows = await checkList(resolved.journeys, 'resolved journeys');
    const hostile = rows.find((r) => r[0] === hostileKey);
    assert.ok(hostile !== undefined, 'the renamed customer is in the list');
    assert.equal(hostile[1], `'${HOSTILE_NAME}`, 'a name starting with = is written as text');
    assert.ok(rows.slice(1).every((r) => r.every((c) => !/^[=+\-@\t\r]/.test(c))), 'no cell starts as a formula');
  });

  test('the overview compares this month with the last, beyond noise or not, on an axis fitted to the data', async () => {
    await open('/');
    assert.match((await page.locator('[data-testid=nps-change]').textContent()) ?? '', /^\d{4}-\d{2} [+-]?\d+ vs \d{4}-\d{2} [+-]?\d+: [▲▼■] [+-]?\d+, (beyond|within) noise$/);
    await page.locator('.chart svg text').first().waitFor();
    const ticks = (await page.locator('.chart svg text').allTextContents()).map(Number).filter((n) => Number.isFinite(n));
    assert.ok(!ticks.includes(-100) || !ticks.includes(100), `the NPS axis is not the full −100…100: ${ticks.join(', ')}`);
  });

  test('a driver opens the answers behind it, as many as it says were exposed', async () => {
    const drivers = await api<Driver[]>('drivers?top=30');
    assert.ok(drivers.length > 0, 'the demo has drivers');
    await open('/drivers');
    await page.locator('[data-testid=drivers-table] tbody tr').nth(drivers.length - 1).waitFor();
    assert.equal(await page.locator('[data-testid=drivers-table] tbody tr th').first().textContent(), drivers[0]!.factor);
    await page.locator('a[data-drill=driver]').first().click();
    const rows = await checkList(drivers[0]!.exposed, `driver ${drivers[0]!.factor}`);
    assert.equal(new Set(rows.slice(1).map((r) => r[0])).size, drivers[0]!.customers, 'as many customers as the driver says');
  });

  test('a topic opens the comments on it and their customers', async () => {
    const topics = await api<TopicSummary[]>('feedback/topics');
    assert.ok(topics.length > 0, 'the demo has topics');
    await open('/feedback');
    await page.locator('a[data-drill=topic]').first().click();
    const rows = await checkList(topics[0]!.comments, `topic ${topics[0]!.topic}`);
    assert.equal(rows[0]![3], 'response_id');
  });

  test('a map edge opens the journeys where it happened', async () => {
    const map = await api<JourneyMap>('map');
    const edge = map.edges[0]!;
    await open(`/map?step=${encodeURIComponent(edge.from)}`);
    await page.locator('[data-testid=step-panel] a[data-drill=edge]').first().click();
    const list = await api<DrillDoc>(`drill?of=edge&edge-from=${encodeURIComponent(edge.from)}&edge-to=${encodeURIComponent(edge.to)}&limit=1`);
    assert.equal(list.times, edge.count, 'the list counts the edge as the map does');
    await checkList(list.total, `edge ${edge.from} → ${edge.to}`);
    assert.match((await page.locator('[data-testid=drill-summary]').textContent()) ?? '', /customers/);
  });

  test('an outer-loop row opens its cases, and every inbox row names the customer and the case type', async () => {
    const rollup = await api<RollupRow[]>('cases/rollup');
    const row = rollup.find((r) => r.root_cause_step !== null && r.cases > 0);
    assert.ok(row !== undefined, 'the demo has cases with a root-cause step');
    await open('/cases?view=rollup');
    await page.locator('[data-testid=rollup-table] tbody tr', { has: page.locator('th', { hasText: row.root_cause_step! }) }).locator('a[data-drill=rollup]').click();
    await page.waitForURL(/\/cases\?root=/);
    await page.locator('[data-testid=root-filter]', { hasText: row.root_cause_step! }).waitFor();
    assert.match((await page.locator('p.note', { hasText: 'cases' }).first().textContent()) ?? '', new RegExp(`^${row.cases} of `));
    const header = await page.locator('[data-testid=cases-table] thead th').allTextContents();
    assert.deepEqual(header.slice(0, 3), ['Case', 'Customer', 'Type']);
    const cases = await api<CaseDoc[]>('cases');
    const named = cases.find((c) => (c.root_cause ?? c.root_cause_step) === row.root_cause_step && c.customer_name !== null);
    assert.ok(named !== undefined, 'cases carry the customer name from profiles');
    const cells = await page.locator('[data-testid=cases-table] tbody tr', { has: page.locator(`a:text-is("${named.case_id}")`) }).locator('td').allTextContents();
    assert.ok(cells[1]!.startsWith(named.customer_name!), `the customer's name: ${cells[1]}`);
    if (named.customer_phone !== null) assert.ok(cells[1]!.includes(named.customer_phone), 'and phone');
    assert.match(cells[2]!, /^(detractor|low CSAT|broken promise|callback|survey answer)$/);
  });

  test('broken steps list the steps above normal by default, name the unit of impact, and open the journeys that failed', async () => {
    const all = await api<BrokenStep[]>('broken?top=25');
    const above = all.filter((b) => b.excess_failure_rate > 0);
    assert.ok(above.length < all.length, 'the demo has steps that fail only as often as is normal');
    await open('/broken');
    const rows = page.locator('[data-testid=broken-table] tbody tr');
    await rows.nth(above.length - 1).waitFor();
    assert.equal(await rows.count(), above.length);
    assert.match((await page.locator('[data-testid=broken-table] thead').textContent()) ?? '', /customer-equivalents/);
    await page.locator('input[name=all]').check();
    await rows.nth(all.length - 1).waitFor();
    await open('/broken');
    await rows.first().locator('a[data-drill=step]').click();
    await page.waitForURL(/\/drill\?/);
    await page.locator('[data-testid=drill-summary]', { hasText: new RegExp(`of ${above[0]!.customers_affected} customers`) }).waitFor();
  });

  test('feedback comments page through all of them with their total', async () => {
    const { total } = await api<{ total: number }>('feedback/comments/total');
    assert.ok(total > 80, 'the demo has more than two pages of comments');
    await open('/feedback');
    await page.locator('[data-testid=comments-range]', { hasText: `1–40 of ${total.toLocaleString('en-GB')} comments` }).waitFor();
    const first = await page.locator('[data-testid=verbatims] li').first().textContent();
    await page.locator('nav.pager button', { hasText: 'Next' }).click();
    await page.locator('[data-testid=comments-range]', { hasText: `41–80 of ${total.toLocaleString('en-GB')} comments` }).waitFor();
    // The range is the page's own state, the list a request's answer: wait for the list to turn.
    await page
      .waitForFunction(`document.querySelector('[data-testid=verbatims] li')?.textContent !== ${JSON.stringify(first)}`, undefined, { timeout: 10_000 })
      .catch(() => undefined);
    assert.notEqual(await page.locator('[data-testid=verbatims] li').first().textContent(), first, 'the next page has other comments');
    assert.equal(await page.locator('[data-testid=verbatims] li').count(), 40);
  });

  test('an agent key gets no list of customers', async () => {
    const agent = (await createKey(store, 'agent', 'workbench test', Date.now())).key;
    const res = await fetch(`${url}/api/v1/drill?of=journeys`, { headers: { authorization: `Bearer ${agent}` } });
    assert.equal(res.status, 403);
  });

  test('drivers, risk and promises have pages with their reasons and kept rates', async () => {
    const risk = await api<RiskScore[]>('risk?top=50');
    await open('/risk');
    await page.locator('[data-testid=risk-table] tbody tr').nth(risk.length - 1).waitFor();
    assert.equal(await page.locator('[data-testid=risk-table] tbody tr').count(), risk.length);
    const withReasons = risk.findIndex((r) => r.reasons.length > 0);
    assert.ok(withReasons >= 0, 'the demo has risk reasons');
    assert.deepEqual(await page.locator('[data-testid=risk-table] tbody tr').nth(withReasons).locator('ul.reasons li').allTextContents(), risk[withReasons]!.reasons);

    const promises = await api<PromisesDoc>('promises');
    await open('/promises');
    await page.locator('[data-testid=promises-by-kind] tbody tr').first().waitFor();
    assert.equal(await page.locator('[data-testid=promises-by-kind] tbody tr').count(), promises.by_kind.length);
    assert.equal(await page.locator('[data-testid=promises-by-agent] tbody tr').count(), promises.by_agent.length);
    assert.equal(await page.locator('.figure', { hasText: 'Kept on time' }).locator('.figure-value').textContent(), `${Math.round(promises.kept_rate! * 100)}%`);
  });

  test('the Sankey leaves the app as an SVG and a PNG picture', async () => {
    await open('/map');
    await page.locator('.chart svg text').first().waitFor();
    const [svg] = await Promise.all([page.waitForEvent('download'), page.locator('[data-download=svg]').click()]);
    assert.equal(svg.suggestedFilename(), 'journey-map-sankey.svg');
    const svgText = fs.readFileSync(await svg.path(), 'utf8');
    assert.match(svgText, /<svg[\s\S]*<\/svg>/);
    assert.match(svgText, /<text/, 'the picture has its labels');
    const [png] = await Promise.all([page.waitForEvent('download'), page.locator('[data-download=png]').click()]);
    assert.equal(png.suggestedFilename(), 'journey-map-sankey.png');
    const bytes = fs.readFileSync(await png.path());
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
    assert.ok(bytes.length > 5000, 'the PNG has a picture in it');
  });

  test('every page is screenshotted at 1440 and 400 px wide, with no console error', async () => {
    const pages: [string, string][] = [
      ['overview', '/'],
      ['journey-map', '/map'],
      ['broken', '/broken'],
      ['drivers', '/drivers'],
      ['risk', '/risk'],
      ['promises', '/promises'],
      ['agents', '/agents'],
      ['feedback', '/feedback'],
      ['cases', '/cases'],
      ['customer', '/customer'],
      ['engagement', '/engagement'],
      ['surveys', '/surveys'],
      ['drill', '/drill?of=journeys&outcome=resolved'],
    ];
    for (const width of [1440, 400]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, p] of pages) {
        await open(p);
        // Let the page's requests answer and charts settle for a still picture.
        await page.waitForLoadState('networkidle');
        await page.waitForTimeout(400);
        await page.screenshot({ path: path.join(SHOTS, `workbench-${name}-${width}.png`), fullPage: true });
      }
    }
    assert.deepEqual(problems, []);
  });
});
