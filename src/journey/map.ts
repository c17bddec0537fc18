/**
 * The journey map: the directly-follows graph of journey steps. Two steps are directly-follows
 * when one comes right after the other in the same journey, in (ts, seq) order, so events with
 * equal times keep their input order. On a process-mining log (one journey per case) this is the
 * DFG that pm4py's `discover_dfg` returns, with the same start and end activities.
 *
 * The journey build stores each step's position and the step after it (build.ts), so the map is
 * one grouped scan with no sort, however many events there are.
 */
import type { SqlParam } from '../store/store.ts';
import { stepConditions } from './filters.ts';
import type { JourneyDb, JourneyFilter } from './filters.ts';

export const MAP_BY = ['step', 'activity', 'channel'] as const;
export type MapBy = (typeof MAP_BY)[number];

export interface MapNode {
  id: string;
  count: number;
}

export interface MapEdge {
  from: string;
  to: string;
  count: number;
  /**
   * Time from a `from` step to the `to` step right after it (between their timestamps), in
   * seconds: median, mean and 90th percentile, as pm4py's performance DFG gives the first two.
   */
  median_seconds: number | null;
  mean_seconds: number | null;
  p90_seconds: number | null;
}

export interface JourneyMap {
  by: MapBy;
  journeys: number;
  nodes: MapNode[];
  edges: MapEdge[];
  start: Record<string, number>;
  end: Record<string, number>;
}

export interface MapOptions extends JourneyFilter {
  readonly by?: MapBy;
  /** Keep only the N most frequent edges (nodes, starts and ends stay whole). */
  readonly top?: number;
  /** Keep only edges followed at least this many times. */
  readonly minCount?: number;
}

/**
 * The view a map or variants take when none is asked for: steps (`channel:activity`), unless the
 * channel carries no information (one value, or only `other`, as in a process-mining log), where
 * a step would only prefix every activity with the same word.
 */
export async function defaultView(db: JourneyDb): Promise<MapBy> {
  const [row] = await db.query(
    `SELECT count(DISTINCT channel) AS channels, sum(CASE WHEN channel <> 'other' THEN 1 ELSE 0 END) AS informative FROM interactions WHERE step_no IS NOT NULL`,
  );
  return Number(row?.channels ?? 0) <= 1 || Number(row?.informative ?? 0) === 0 ? 'activity' : 'step';
}

const seconds = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000);

/** The stored columns that make a step's node id in a view, and those of its next step. */
function nodeColumns(by: MapBy): { own: string[]; next: string[] } {
  const cols = by === 'step' ? ['channel', 'activity'] : [by];
  return { own: cols.map((c) => `i.${c}`), next: cols.map((c) => `i.next_${c}`) };
}

/** A node id from its columns: `channel:activity` for steps, the one value otherwise. */
function nodeId(values: readonly unknown[]): string {
  return values.map(String).join(':');
}

/** Counts first, then ids, so equal counts always list in the same order. */
function byCountThenId<T>(count: (x: T) => number, id: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => count(b) - count(a) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
}

export async function journeyMap(db: JourneyDb, options: MapOptions = {}): Promise<JourneyMap> {
  const by = options.by ?? (await defaultView(db));
  const params: SqlParam[] = [];
  const where = stepConditions(options, params);
  const { own, next } = nodeColumns(by);
  // One grouping by (step, next step) gives everything: a row with no next step is a journey's
  // end, a node's count is the sum of its rows, and its starts ride along as a sum. Grouping by
  // the stored columns instead of a concatenated id keeps the step view as fast as the others.
  const rows = await db.query(
    `SELECT ${[...own, ...next].map((c, k) => `${c} AS c${k}`).join(', ')},
       count(*) AS n, sum(CASE WHEN i.step_no = 1 THEN 1 ELSE 0 END) AS starts,
       ${db.sql.median('(i.next_ts - i.ts) / 1000.0')} AS med, avg((i.next_ts - i.ts) / 1000.0) AS mean,
       ${db.sql.quantile('(i.next_ts - i.ts) / 1000.0', 0.9)} AS p90
     FROM interactions i WHERE ${where}
     GROUP BY ${[...own, ...next].join(', ')}`,
    params,
  );
  const counts = new Map<string, number>();
  const starts = new Map<string, number>();
  const edges: MapEdge[] = [];
  const end: [string, number][] = [];
  const add = (m: Map<string, number>, k: string, n: number): void => {
    if (n > 0) m.set(k, (m.get(k) ?? 0) + n);
  };
  for (const r of rows) {
    const from = nodeId(own.map((_, k) => r[`c${k}`]));
    const toCells = next.map((_, k) => r[`c${own.length + k}`]);
    const n = Number(r.n);
    add(counts, from, n);
    add(starts, from, Number(r.starts));
    if (toCells[0] === null) end.push([from, n]);
    else edges.push({ from, to: nodeId(toCells), count: n, median_seconds: seconds(r.med), mean_seconds: seconds(r.mean), p90_seconds: seconds(r.p90) });
  }
  const nodes: MapNode[] = [...counts].map(([id, count]) => ({ id, count }));
  const start = [...starts];
  nodes.sort(byCountThenId((x) => x.count, (x) => x.id));
  edges.sort(byCountThenId((x) => x.count, (x) => `${x.from}\u0000${x.to}`));
  const pairs = byCountThenId<[string, number]>((x) => x[1], (x) => x[0]);
  start.sort(pairs);
  end.sort(pairs);
  const kept = edges.filter((e) => e.count >= (options.minCount ?? 1));
  return {
    by,
    journeys: start.reduce((s, [, n]) => s + n, 0),
    nodes,
    edges: options.top === undefined ? kept : kept.slice(0, options.top),
    start: Object.fromEntries(start),
    end: Object.fromEntries(end),
  };
}
