/**
 * The journey map as a Sankey: the directly-follows graph minus the edges a Sankey cannot draw.
 * A Sankey must be acyclic, but journeys loop (retry a login, call back after a chat), so a
 * depth-first walk from the steps journeys start at (most frequent first, heaviest edges first)
 * keeps the edges that move forward and sets aside the ones that return to a step already on
 * the path (back-edges, self-loops included); those are listed beside the chart instead.
 * Journey starts and ends are not drawn as nodes: flows from one Start to steps deep in the
 * graph would cross the whole picture. The step panel gives each step's starts and ends.
 */
import type { JourneyMap, MapEdge } from '../../../src/journey/map.ts';

export interface SankeyData {
  nodes: { name: string; value: number }[];
  links: { source: string; target: string; value: number; median_seconds: number | null }[];
  /** Edges left out because they close a loop. */
  loops: Pick<MapEdge, 'from' | 'to' | 'count' | 'median_seconds'>[];
  /** Edges left out because the picture would be unreadable with them (the rarest). */
  hidden: number;
  /** Columns the Sankey lays the steps out in: the longest forward path, in steps. */
  columns: number;
}

export function sankeyData(map: JourneyMap, maxLinks = 90): SankeyData {
  const links: SankeyData['links'] = map.edges.map((e) => ({ source: e.from, target: e.to, value: e.count, median_seconds: e.median_seconds }));

  // Keep the heaviest links; a rare one dropped here is still in the step panel's lists.
  const sorted = [...links].sort((a, b) => b.value - a.value || a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
  const kept = sorted.slice(0, maxLinks);
  const hidden = sorted.length - kept.length;

  const out = new Map<string, typeof kept>();
  for (const l of kept) {
    const list = out.get(l.source) ?? [];
    list.push(l);
    out.set(l.source, list);
  }
  const state = new Map<string, 'active' | 'done'>();
  const forward: typeof kept = [];
  const loops: SankeyData['loops'] = [];
  // Iterative DFS: journeys can be long, and recursion depth should not depend on the data.
  const visit = (root: string): void => {
    const stack: { node: string; i: number }[] = [{ node: root, i: 0 }];
    state.set(root, 'active');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edges = out.get(top.node) ?? [];
      if (top.i >= edges.length) {
        state.set(top.node, 'done');
        stack.pop();
        continue;
      }
      const l = edges[top.i++]!;
      const s = state.get(l.target);
      if (s === 'active') loops.push({ from: l.source, to: l.target, count: l.value, median_seconds: l.median_seconds });
      else {
        forward.push(l);
        if (s === undefined) {
          state.set(l.target, 'active');
          stack.push({ node: l.target, i: 0 });
        }
      }
    }
  };
  const starts = Object.entries(map.start).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [id] of starts) if (!state.has(id)) visit(id);
  for (const l of kept) if (!state.has(l.source)) visit(l.source);

  const value = new Map<string, number>(map.nodes.map((n) => [n.id, n.count]));
  const names = new Set<string>();
  for (const l of forward) {
    names.add(l.source);
    names.add(l.target);
  }
  return {
    columns: longestPath([...names], forward),
    nodes: [...names].map((name) => ({ name, value: value.get(name) ?? 0 })),
    links: forward,
    loops: loops.sort((a, b) => b.count - a.count),
    hidden,
  };
}

/** Steps on the longest path of an acyclic graph (Kahn's order), as ECharts lays out columns. */
function longestPath(names: readonly string[], links: readonly { source: string; target: string }[]): number {
  const indegree = new Map(names.map((n) => [n, 0]));
  const out = new Map<string, string[]>();
  for (const l of links) {
    indegree.set(l.target, (indegree.get(l.target) ?? 0) + 1);
    out.set(l.source, [...(out.get(l.source) ?? []), l.target]);
  }
  const depth = new Map(names.map((n) => [n, 1]));
  const queue = names.filter((n) => indegree.get(n) === 0);
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i]!;
    for (const t of out.get(n) ?? []) {
      depth.set(t, Math.max(depth.get(t)!, depth.get(n)! + 1));
      indegree.set(t, indegree.get(t)! - 1);
      if (indegree.get(t) === 0) queue.push(t);
    }
  }
  return Math.max(0, ...depth.values());
}

/** Below this failure rate a step is drawn as working: a rare failure is normal noise. */
export const FAILURE_FLOOR = 0.02;

/** Failure rate under 2% → calm grey-blue; from 2% amber to deep red at 30% and above. */
export function failureColour(rate: number | undefined): string {
  if (rate === undefined || rate < FAILURE_FLOOR) return '#8aa0bf';
  const t = Math.min(1, (rate - FAILURE_FLOOR) / (0.3 - FAILURE_FLOOR));
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * t);
  return `rgb(${mix(242, 165)}, ${mix(178, 20)}, ${mix(60, 30)})`;
}
