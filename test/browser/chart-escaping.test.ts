/**
 * Hostile step names in the dashboard's charts, in a real browser: events named like HTML
 * (`"><img … onerror=…>`) are imported, the journey map is opened in Chromium, and every mark of
 * the Sankey is hovered so ECharts shows its HTML tooltip. The names must be shown as text and
 * no element of theirs may appear. (test/web/chart-tooltips.test.ts calls every tooltip
 * formatter with such names; this is the check that the page really uses them.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { importRecords } from '../../src/ingest/import.ts';
import { createApp, createKey } from '../../src/server/index.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { registerDashboard } from '../../src/web/index.ts';
import { CHROMIUM, DIST, ensureBuilt, LAUNCH_ARGS, NO_BROWSER } from '../support/browser.ts';


/** What an attacker names their events: each would be an element if put into HTML as is. */
const HOSTILE = [`pay_bill/"><img src=x id=injected-1 onerror=alert(1)>`, `pay_bill/'><svg id=injected-2 onload=alert(2)>`, `pay_bill/<b id=injected-3>bold</b>`];



const skip = NO_BROWSER;

describe('hostile step names in the charts', { skip }, () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let url: string;
  let admin: string;

  before(async () => {
    ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-xss-'));
    store = await openStore(path.join(dir, 'db.duckdb'));
    // Ten customers, each: a bill view, then one hostile step after another, the last failing.
    const records = Array.from({ length: 10 }, (_, c) => [
      { channel: 'web', activity: 'pay_bill/view_bill', outcome: 'success' },
      ...HOSTILE.map((activity, i) => ({ channel: 'web', activity, outcome: i === HOSTILE.length - 1 ? 'failure' : 'success' })),
    ].map((e, i) => ({ event_id: `x${c}-${i}`, customer_id: `X${c}`, ts: new Date(Date.UTC(2026, 5, 1, 9, c, i * 10)).toISOString(), ...e }))).flat();
    await importRecords(store, records.map((fields, i) => ({ source: 'hostile.jsonl', line: i + 1, kind: 'interactions' as const, fields })), {
      onReject: (r, reason) => assert.fail(`record ${r.line} rejected: ${reason}`),
    });
    admin = (await createKey(store, 'admin', 'xss test', Date.now())).key;
    app = await createApp({ store });
    if (!app.hasRoute({ method: 'GET', url: '/assets/*' })) await registerDashboard(app, { distDir: DIST });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('hovering every step and transition of the journey map shows the names as text, and none becomes an element', async () => {
    await page.goto(url);
    await page.fill('input[name=key]', admin);
    await page.click('button[type=submit]');
    // Wide enough that the whole map is on screen: a wide map scrolls sideways, and a mark off
    // screen cannot be hovered.
    await page.setViewportSize({ width: 4000, height: 1600 });
    await page.locator('nav a', { hasText: 'Journey map' }).click();
    await page.locator('.chart svg path').first().waitFor();
    // Run in the page (strings, as the test runs under Node's types, not the DOM's).
    const injected = () => page.evaluate<number>("document.querySelectorAll('[id^=injected], .chart-canvas img, .chart-canvas b').length");
    /** ECharts' tooltip: the element in the chart's box that holds no SVG. */
    const TOOLTIPS = "[...document.querySelectorAll('.chart-canvas > div')].filter((d) => d.querySelector('svg') === null && d.style.display !== 'none')";
    const tooltip = () => page.evaluate<string>(`${TOOLTIPS}.map((d) => d.textContent ?? '').join('\\n')`);
    // Where every mark is, read once: hovering redraws the chart's elements (adjacent ones are highlighted).
    const marks = await page.evaluate<{ x: number; y: number; width: number; height: number }[]>(
      "[...document.querySelectorAll('.chart svg path')].map((p) => p.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, width: r.width, height: r.height }))",
    );
    const seen = new Set<string>();
    let previous = '';
    for (const box of marks) {
      if (box.width < 2 || box.height < 2) continue;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      // ECharts shows the tooltip on a later frame (seconds on a loaded machine): wait for it to
      // say something other than the last mark's, or move on (two marks may share a tooltip).
      await page
        .waitForFunction(`${TOOLTIPS}.map((d) => d.textContent ?? '').join('\\n') !== ${JSON.stringify(previous)} && ${TOOLTIPS}.some((d) => (d.textContent ?? '') !== '')`, undefined, { timeout: 8000 })
        .catch(() => undefined);
      const text = await tooltip();
      previous = text;
      // A one-channel log is mapped by activity: ids are the names themselves.
      for (const h of HOSTILE) if (text.includes(h)) seen.add(h);
      assert.equal(await injected(), 0, `an element was injected by the tooltip: ${text}`);
      if (seen.size === HOSTILE.length) break;
    }
    assert.deepEqual([...seen].sort(), [...HOSTILE].sort(), 'each hostile name was shown, as text, in a tooltip');
    await page.mouse.move(1, 1);
    assert.equal(await injected(), 0);
  });
});
