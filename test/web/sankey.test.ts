/** The journey map's Sankey data: the directly-follows graph made acyclic, loops listed instead. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JourneyMap } from '../../src/journey/map.ts';
import { failureColour, sankeyData } from '../../web/src/pages/sankey.ts';

function createTestMap(edges: [string, string, number][], start: Record<string, number>): JourneyMap {
  const ids = [...new Set(edges.flatMap(([a, b]) => [a, b]))];
  return {
    by: 'step',
    journeys: Object.values(start).reduce((a, b) => a + b, 0),
    nodes: ids.map((id) => ({ id, count: edges.filter(([, b]) => b === id).reduce((n, [, , c]) => n + c, 0) + (start[id] ?? 0) })),
    edges: edges.map(([from, to, count]) => ({ from, to, count, median_seconds: 60, mean_seconds: 60, p90_seconds: 60 })),
    start,
    end: {},
  };
}

function isAcyclic(links: readonly { source: string; target: string }[]): boolean {
  const out = new Map<string, string[]>();
  for (const l of links) out.set(l.source, [...(out.get(l.source) ?? []), l.target]);
  const state = new Map<string, number>();
  const visit = (n: string): boolean => {
    if (state.get(n) === 1) return false;
    if (state.get(n) === 2) return true;
    state.set(n, 1);
    const ok = (out.get(n) ?? []).every(visit);
    state.set(n, 2);
    return ok;
  };
  return [...out.keys()].every(visit);
}

describe('the journey map as a Sankey', () => {
  test('a retry loop and a repeated step are set aside and the rest drawn', () => {
    const map = createTestMap(
      [
        ['web:login', 'web:pay', 100],
        ['web:pay', 'web:login', 14],
        ['web:pay', 'call:agent', 20],
        ['call:agent', 'call:agent', 3],
      ],
      { 'web:login': 100 },
    );
    const d = sankeyData(map);
    assert.ok(isAcyclic(d.links));
    assert.deepEqual(
      d.links.map((l) => `${l.source}>${l.target}`),
      ['web:login>web:pay', 'web:pay>call:agent'],
    );
    assert.deepEqual(
      d.loops.map((l) => `${l.from}>${l.to} ${l.count}`),
      ['web:pay>web:login 14', 'call:agent>call:agent 3'],
    );
    assert.equal(d.columns, 3);
  });

  test('the heavier direction of a two-way pair is the one drawn', () => {
    const d = sankeyData(createTestMap([['app:a', 'app:b', 5], ['app:b', 'app:a', 50]], { 'app:b': 50, 'app:a': 5 }));
    assert.deepEqual(d.links.map((l) => `${l.source}>${l.target}`), ['app:b>app:a']);
    assert.deepEqual(d.loops.map((l) => `${l.from}>${l.to}`), ['app:a>app:b']);
  });

  test('only the most frequent transitions are drawn when there are too many, and the rest are counted', () => {
    const edges: [string, string, number][] = Array.from({ length: 30 }, (_, i) => [`web:s${i}`, `web:s${i + 1}`, 100 - i]);
    const d = sankeyData(createTestMap(edges, { 'web:s0': 100 }), 10);
    assert.equal(d.links.length, 10);
    assert.equal(d.hidden, 20);
    assert.ok(isAcyclic(d.links));
  });

  test('steps that rarely fail are drawn calm and frequent failures red', () => {
    assert.equal(failureColour(undefined), failureColour(0.01));
    assert.notEqual(failureColour(0.05), failureColour(0.01));
    assert.equal(failureColour(0.3), failureColour(0.9));
  });
});
