/**
 * Chart tooltips are HTML (ECharts inserts what a formatter returns), and their text comes from
 * data anyone can send: an event named `"><img src=x onerror=…>` must show as those characters,
 * never become an element. Every tooltip formatter is called here with hostile names.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import * as tooltips from '../../web/src/charts/tooltips.ts';
import { escapeHtml, html, npsTrendTooltip, sankeyTooltip } from '../../web/src/charts/tooltips.ts';

const HOSTILE = [`"><img src=x onerror=alert(1)>`, `<script>alert(1)</script>`, `web:pay_bill/<svg onload=alert(1)>`, `' onmouseover='alert(1)`, '`${alert(1)}`', '&lt;img src=x&gt;'];

/** The markup a tooltip may contain: line breaks, and nothing else. */
function assertOnlyLineBreaks(out: string, what: string): void {
  const tags = out.match(/<[^>]*>/g) ?? [];
  assert.deepEqual(tags.filter((t) => t !== '<br/>'), [], `${what}: ${out}`);
  assert.doesNotMatch(out, /["'`]/, `${what}: quotes are escaped too, so nothing can close an attribute: ${out}`);
}

describe('chart tooltips', () => {
  test('escapeHtml turns every character with a meaning in HTML into an entity', () => {
    assert.equal(escapeHtml(`"><img src=x onerror=alert(1)>`), '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    assert.equal(escapeHtml(`&'\``), '&amp;&#39;&#96;');
    assert.equal(escapeHtml(null), '');
    assert.equal(html`<b>${'<i>'}</b>`, '<b>&lt;i&gt;</b>', 'the literal markup stays, the value is escaped');
  });

  test('the journey map: a step and a transition named by an attacker show as text', () => {
    for (const name of HOSTILE) {
      const rates = new Map([[name, 0.25]]);
      const node = sankeyTooltip(rates)({ dataType: 'node', data: { name, value: 12 } });
      assertOnlyLineBreaks(node, `node ${name}`);
      assert.ok(node.startsWith(escapeHtml(name)), node);
      assert.match(node, /fails 25\.0%/);
      const edge = sankeyTooltip(rates)({ dataType: 'edge', data: { source: name, target: `${name}2`, value: 3, median_seconds: 90 } });
      assertOnlyLineBreaks(edge, `edge ${name}`);
      assert.ok(edge.includes(escapeHtml(`${name}2`)), edge);
    }
  });

  test('the overview: a month key, however it came, shows as text', () => {
    for (const key of HOSTILE) {
      const out = npsTrendTooltip([{ key, nps: { score: -12, ci95: [-30, 5], n: 9, small_n: true } as never }])([{ dataIndex: 0 }]);
      assertOnlyLineBreaks(out, key);
      assert.ok(out.startsWith(escapeHtml(key)), out);
    }
  });

  test('every tooltip formatter in the dashboard is one of these, each tested above', () => {
    const tested = new Set(['sankeyTooltip', 'npsTrendTooltip']);
    const exported = Object.keys(tooltips).filter((k) => k.endsWith('Tooltip'));
    assert.deepEqual(exported.filter((k) => !tested.has(k)), [], 'a tooltip without a hostile-name test');
    const web = path.resolve(import.meta.dirname, '..', '..', 'web', 'src');
    const files = (fs.readdirSync(web, { recursive: true }) as string[]).filter((f) => /\.tsx?$/.test(f) && !f.endsWith(path.join('charts', 'tooltips.ts')));
    const inline: string[] = [];
    for (const f of files) {
      for (const [i, line] of fs.readFileSync(path.join(web, f), 'utf8').split('\n').entries()) {
        if (!/formatter\s*:/.test(line)) continue;
        // Labels are drawn as SVG text, never parsed as HTML; tooltips must come from tooltips.ts.
        if (/label\s*:\s*\{.*formatter\s*:/.test(line) || /formatter\s*:\s*(sankeyTooltip|npsTrendTooltip)\(/.test(line)) continue;
        inline.push(`web/src/${f}:${i + 1}: ${line.trim()}`);
      }
    }
    assert.deepEqual(inline, [], 'a formatter written in place, not through charts/tooltips.ts');
  });
});
