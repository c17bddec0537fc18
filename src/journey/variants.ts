/**
 * Variants: the distinct step sequences of journeys, with how many journeys followed each. A
 * journey's sequence is its steps in (ts, seq) order, so on a process-mining log a variant is a
 * case's full activity trace, as pm4py's `get_variants` gives it.
 *
 * The journey build stores each journey's step sequence as its `path` (build.ts): variants
 * group journeys by path, then, for the activity and channel views, group the distinct paths
 * again by what remains of them.
 */
import type { SqlParam } from '../store/store.ts';
import { PATH_PART_SEP, PATH_STEP_SEP } from './build.ts';
import { journeyConditions } from './filters.ts';
import type { JourneyDb, JourneyFilter } from './filters.ts';
import type { MapBy } from './map.ts';

export interface Variant {
  sequence: string[];
  count: number;
}

export interface Variants {
  by: MapBy;
  journeys: number;
  /** How many distinct variants there are, listed or not. */
  distinct_variants: number;
  variants: Variant[];
}

export interface VariantOptions extends JourneyFilter {
  readonly by?: MapBy;
  /** List only the N most frequent variants; all when absent. */
  readonly top?: number;
}

/** A path (`channel␞activity␟channel␞activity…`) seen through one view, as SQL on `p`. */
function viewSql(by: MapBy, p: string): string {
  switch (by) {
    case 'step':
      return p;
    case 'activity':
      return `regexp_replace(${p}, '[^\\x1f\\x1e]*\\x1e', '', 'g')`;
    case 'channel':
      return `regexp_replace(${p}, '\\x1e[^\\x1f]*', '', 'g')`;
  }
}

export async function journeyVariants(db: JourneyDb, options: VariantOptions = {}): Promise<Variants> {
  const by = options.by ?? 'step';
  const params: SqlParam[] = [];
  const where = journeyConditions(options, params);
  const limit = options.top === undefined ? '' : `LIMIT ${Math.max(1, Math.floor(options.top))}`;
  const rows = await db.query(
    `WITH p AS (SELECT j.path, count(*) AS n FROM journeys j WHERE ${where} GROUP BY j.path),
     g AS (SELECT ${viewSql(by, 'p.path')} AS v, sum(p.n) AS n FROM p GROUP BY 1)
     SELECT v, n, count(*) OVER () AS variants, sum(n) OVER () AS journeys FROM g
     ORDER BY n DESC, v COLLATE "C" ${limit}`,
    params,
  );
  // The totals ride on every row; with no rows there are no journeys either.
  const first = rows[0];
  return {
    by,
    journeys: first ? Number(first.journeys) : 0,
    distinct_variants: first ? Number(first.variants) : 0,
    variants: rows.map((r) => ({
      sequence: String(r.v)
        .split(PATH_STEP_SEP)
        .map((s) => s.replace(PATH_PART_SEP, ':')),
      count: Number(r.n),
    })),
  };
}
