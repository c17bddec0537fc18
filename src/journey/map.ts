/**
 * The journey map: the directly-follows graph of journey steps. Two steps are directly-follows
 * when one comes right after the other in the same journey, in (ts, seq) order, so events with
 * equal times keep their input order. On a process-mining log (one journey per case) this is the
 * DFG that pm4py's `discover_dfg` returns, with the same start and end activities.
 *
 * The journey build stores each step's position and the step after it (build.ts), so the map is
 * a few grouped scans with no sort, however many events there are.
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
  /** Median time from the end of `from`'s event to `to`'s event, in seconds. */
  median_seconds: number | null;
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
}

/**
 * The node id of a step for a map view: `channel:activity`, `activity` or `channel`, from the
 * step's own columns (`prefix` '') or from its next step's (`prefix` 'next_').
 */
export function nodeSql(by: MapBy, i = 'i', prefix = ''): string {
  switch (by) {
    case 'activity':
      return `${i}.${prefix}activity`;
    case 'channel':
      return `${i}.${prefix}channel`;
    case 'step':
      return `${i}.${prefix}channel || ':' || ${i}.${prefix}activity`;
  }
}

/** Counts first, then ids, so equal counts always list in the same order. */
function byCountThenId<T>(count: (x: T) => number, id: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => count(b) - count(a) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
}

export async function journeyMap(db: JourneyDb, options: MapOptions = {}): Promise<JourneyMap> {
  const by = options.by ?? 'step';
  const params: SqlParam[] = [];
  const where = stepConditions(options, params);
  const node = nodeSql(by);
  const next = nodeSql(by, 'i', 'next_');
  const rows = await db.query(
    `WITH e AS (SELECT i.step_no, i.ts, i.channel, i.activity, i.next_ts, i.next_channel, i.next_activity
       FROM interactions i WHERE ${where})
     SELECT 'node' AS kind, ${node} AS a, NULL AS b, count(*) AS n, NULL AS med FROM e i GROUP BY 2
     UNION ALL
     SELECT 'edge', ${node}, ${next}, count(*), ${db.sql.median('(i.next_ts - i.ts) / 1000.0')}
       FROM e i WHERE i.next_ts IS NOT NULL GROUP BY 2, 3
     UNION ALL
     SELECT 'start', ${node}, NULL, count(*), NULL FROM e i WHERE i.step_no = 1 GROUP BY 2
     UNION ALL
     SELECT 'end', ${node}, NULL, count(*), NULL FROM e i WHERE i.next_ts IS NULL GROUP BY 2`,
    params,
  );
  const nodes: MapNode[] = [];
  const edges: MapEdge[] = [];
  const start: [string, number][] = [];
  const end: [string, number][] = [];
  for (const r of rows) {
    const a = String(r.a);
    const n = Number(r.n);
    if (r.kind === 'node') nodes.push({ id: a, count: n });
    else if (r.kind === 'edge') {
      edges.push({ from: a, to: String(r.b), count: n, median_seconds: r.med === null ? null : Math.round(Number(r.med) * 1000) / 1000 });
    } else if (r.kind === 'start') start.push([a, n]);
    else end.push([a, n]);
  }
  nodes.sort(byCountThenId((x) => x.count, (x) => x.id));
  edges.sort(byCountThenId((x) => x.count, (x) => `${x.from}\u0000${x.to}`));
  const pairs = byCountThenId<[string, number]>((x) => x[1], (x) => x[0]);
  start.sort(pairs);
  end.sort(pairs);
  return {
    by,
    journeys: start.reduce((s, [, n]) => s + n, 0),
    nodes,
    edges,
    start: Object.fromEntries(start),
    end: Object.fromEntries(end),
  };
}
