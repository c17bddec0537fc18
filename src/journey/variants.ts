/**
 * Variants: the distinct step sequences of journeys, with how many journeys followed each. A
 * journey's sequence is its steps in (ts, seq) order, so on a process-mining log a variant is a
 * case's full activity trace, as pm4py's `get_variants` gives it.
 *
 * The journey build stores each journey's step sequence as its `path` (build.ts): variants
 * group journeys by what their path is in the view asked for, with the durations of the
 * journeys in each group (first step to last, as pm4py's case duration).
 */
import type { SqlParam } from '../store/store.ts';
import { PATH_PART_SEP, PATH_STEP_SEP } from './build.ts';
import { journeyConditions } from './filters.ts';
import type { JourneyDb, JourneyFilter } from './filters.ts';
import { defaultView } from './map.ts';
import type { MapBy } from './map.ts';

/** How long journeys took from their first step to their last, in seconds (pm4py's case duration). */
export interface Durations {
  mean_seconds: number | null;
  median_seconds: number | null;
  p90_seconds: number | null;
}

export interface Variant extends Durations {
  sequence: string[];
  count: number;
}

export interface Variants {
  by: MapBy;
  journeys: number;
  /** How many distinct variants there are, listed or not. */
  distinct_variants: number;
  /** The duration of every selected journey, whatever its variant. */
  case_duration: Durations;
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

const seconds = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000);

/** Aggregates of a journey's duration in seconds over the rows of a group, as SQL. */
function durationSql(db: JourneyDb): string {
  const d = '(j.end_ts - j.start_ts) / 1000.0';
  return `avg(${d}) AS mean_s, ${db.sql.median(d)} AS median_s, ${db.sql.quantile(d, 0.9)} AS p90_s`;
}

const durations = (r: Record<string, unknown> | undefined): Durations => ({
  mean_seconds: seconds(r?.mean_s),
  median_seconds: seconds(r?.median_s),
  p90_seconds: seconds(r?.p90_s),
});

export async function journeyVariants(db: JourneyDb, options: VariantOptions = {}): Promise<Variants> {
  const by = options.by ?? (await defaultView(db));
  const params: SqlParam[] = [];
  const where = journeyConditions(options, params);
  const limit = options.top === undefined ? '' : `LIMIT ${Math.max(1, Math.floor(options.top))}`;
  const [rows, [all]] = await Promise.all([
    db.query(
      `WITH g AS (SELECT ${viewSql(by, 'j.path')} AS v, count(*) AS n, ${durationSql(db)} FROM journeys j WHERE ${where} GROUP BY 1)
       SELECT g.*, count(*) OVER () AS variants, sum(n) OVER () AS journeys FROM g
       ORDER BY n DESC, v COLLATE "C" ${limit}`,
      params,
    ),
    db.query(`SELECT ${durationSql(db)} FROM journeys j WHERE ${where}`, params),
  ]);
  // The totals ride on every row; with no rows there are no journeys either.
  const first = rows[0];
  return {
    by,
    journeys: first ? Number(first.journeys) : 0,
    distinct_variants: first ? Number(first.variants) : 0,
    case_duration: durations(all),
    variants: rows.map((r) => ({
      sequence: String(r.v)
        .split(PATH_STEP_SEP)
        .map((s) => s.replace(PATH_PART_SEP, ':')),
      count: Number(r.n),
      ...durations(r),
    })),
  };
}
