/**
 * NPS, CSAT and CES (docs/feedback.md): one definition used by `throughline metrics`, the API
 * and the dashboard. Counts and moments come from SQL aggregates, so the cost does not grow with
 * what Node holds; only the confidence intervals are finished here. Relationship and
 * transaction answers are never mixed in one figure, and an employee is never scored on
 * relationship answers.
 */
import { AppError } from '../core/errors.ts';
import type { Metric, Scope } from '../core/records.ts';
import type { Queryable, Row, SqlDialect, SqlParam } from '../store/store.ts';
import { meanInterval, npsInterval, wilsonPercent } from './stats.ts';

/** Below this many answers a figure is flagged `small_n`: shown, never hidden. */
export const SMALL_N = 30;

export const METRICS_BY = ['scope', 'channel', 'intent', 'agent', 'month', 'survey', 'store_staff'] as const;
export type MetricsBy = (typeof METRICS_BY)[number];

interface Base {
  n: number;
  score: number | null;
  ci95: [number, number] | null;
  small_n: boolean;
}
export interface NpsFigure extends Base {
  promoters: number;
  passives: number;
  detractors: number;
}
export interface CsatFigure extends Base {
  /** Answers of 4 or 5. */
  satisfied: number;
  mean: number | null;
}
export interface CesFigure extends Base {
  /** Answers of 5 to 7. */
  easy: number;
  percent_easy: number | null;
}

/** `null` where a figure does not apply: relationship answers in an employee breakdown. */
export interface MetricSet {
  nps: { relationship: NpsFigure | null; transaction: NpsFigure | null };
  csat: { relationship: CsatFigure | null; transaction: CsatFigure | null };
  ces: { relationship: CesFigure | null; transaction: CesFigure | null };
}

export interface MetricsDoc extends MetricSet {
  from: string | null;
  to: string | null;
  /** With `--by`: which breakdown `by` holds. */
  breakdown?: MetricsBy | undefined;
  /** With `--by`: one entry per key, in the same shape as the whole. */
  by?: ({ key: string | null } & MetricSet)[] | undefined;
}

export interface MetricsOptions {
  readonly by?: MetricsBy | undefined;
  /** Epoch ms, inclusive. */
  readonly from?: number | undefined;
  /** Epoch ms, exclusive. */
  readonly to?: number | undefined;
}

export interface MetricsDb extends Queryable {
  readonly sql: SqlDialect;
}

/** The key expression of a breakdown over `feedback f LEFT JOIN interactions i LEFT JOIN staff s`. */
function keySql(by: MetricsBy, sql: SqlDialect): string {
  switch (by) {
    case 'scope':
      return 'f.scope';
    case 'channel':
      return 'i.channel';
    case 'intent':
      return 'i.intent';
    case 'agent':
    case 'store_staff':
      return 'coalesce(f.agent_id, i.agent_id)';
    case 'month':
      return sql.msToMonth('f.ts');
    case 'survey':
      return 'f.survey_id';
  }
}

/** Employee breakdowns take transaction answers about someone only: the rule that protects agents. */
function extraWhere(by: MetricsBy | undefined): string[] {
  if (by === 'agent') return [`f.scope = 'transaction'`, `coalesce(f.agent_id, i.agent_id) IS NOT NULL`];
  if (by === 'store_staff') {
    return [`f.scope = 'transaction'`, `coalesce(f.agent_id, i.agent_id) IS NOT NULL`, `(i.channel = 'store' OR (s.seq IS NULL AND s.site IS NOT NULL))`];
  }
  return [];
}

const AGGREGATES = `count(*) AS n,
  sum(CASE WHEN (f.metric = 'nps' AND f.score >= 9) OR (f.metric = 'csat' AND f.score >= 4) OR (f.metric = 'ces' AND f.score >= 5) THEN 1 ELSE 0 END) AS good,
  sum(CASE WHEN f.metric = 'nps' AND f.score <= 6 THEN 1 ELSE 0 END) AS detractors,
  avg(f.score) AS mean, stddev_samp(f.score) AS sd`;

export async function computeMetrics(db: MetricsDb, options: MetricsOptions = {}): Promise<MetricsDoc> {
  if (options.by !== undefined && !METRICS_BY.includes(options.by)) {
    throw new AppError('usage', `--by ${String(options.by)} is not a breakdown`, { hint: `use one of ${METRICS_BY.join(', ')}` });
  }
  const params: SqlParam[] = [];
  const where = [`f.score IS NOT NULL`, `f.metric IN ('nps', 'csat', 'ces')`, `f.scope IN ('relationship', 'transaction')`];
  if (options.from !== undefined) {
    params.push(options.from);
    where.push(`f.ts >= $${params.length}`);
  }
  if (options.to !== undefined) {
    params.push(options.to);
    where.push(`f.ts < $${params.length}`);
  }
  const from = `FROM feedback f
    LEFT JOIN interactions i ON i.event_id = f.event_id
    LEFT JOIN staff s ON s.staff_id = coalesce(f.agent_id, i.agent_id)`;

  const whole = await db.query(`SELECT f.metric, f.scope, ${AGGREGATES} ${from} WHERE ${where.join(' AND ')} GROUP BY f.metric, f.scope`, params);
  const doc: MetricsDoc = {
    ...metricSet(whole, false),
    from: options.from === undefined ? null : new Date(options.from).toISOString(),
    to: options.to === undefined ? null : new Date(options.to).toISOString(),
  };
  if (options.by === undefined) return doc;

  const by = options.by;
  const key = keySql(by, db.sql);
  const rows = await db.query(
    `SELECT ${key} AS key, f.metric, f.scope, ${AGGREGATES} ${from}
     WHERE ${[...where, ...extraWhere(by)].join(' AND ')} GROUP BY ${key}, f.metric, f.scope`,
    params,
  );
  const groups = new Map<string | null, Row[]>();
  for (const r of rows) {
    const k = r.key === null ? null : String(r.key);
    const list = groups.get(k) ?? [];
    list.push(r);
    groups.set(k, list);
  }
  const employee = by === 'agent' || by === 'store_staff';
  const out = [...groups].map(([k, list]) => ({ key: k, total: list.reduce((s, r) => s + Number(r.n), 0), set: metricSet(list, employee) }));
  out.sort((a, b) => {
    if (a.key === null || b.key === null) return a.key === null ? 1 : -1;
    if (by === 'month') return a.key < b.key ? -1 : 1;
    return b.total - a.total || (a.key < b.key ? -1 : 1);
  });
  doc.breakdown = by;
  doc.by = out.map((g) => ({ key: g.key, ...g.set }));
  return doc;
}

function metricSet(rows: readonly Row[], employee: boolean): MetricSet {
  const find = (metric: Metric, scope: Scope): Row | undefined => rows.find((r) => r.metric === metric && r.scope === scope);
  const rel = <T>(f: T): T | null => (employee ? null : f);
  return {
    nps: { relationship: rel(npsFigure(find('nps', 'relationship'))), transaction: npsFigure(find('nps', 'transaction')) },
    csat: { relationship: rel(csatFigure(find('csat', 'relationship'))), transaction: csatFigure(find('csat', 'transaction')) },
    ces: { relationship: rel(cesFigure(find('ces', 'relationship'))), transaction: cesFigure(find('ces', 'transaction')) },
  };
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function npsFigure(r: Row | undefined): NpsFigure {
  const n = num(r?.n);
  const promoters = num(r?.good);
  const detractors = num(r?.detractors);
  const passives = n - promoters - detractors;
  return {
    n,
    score: n === 0 ? null : (100 * (promoters - detractors)) / n,
    ci95: npsInterval(promoters, passives, detractors),
    small_n: n < SMALL_N,
    promoters,
    passives,
    detractors,
  };
}

export function csatFigure(r: Row | undefined): CsatFigure {
  const n = num(r?.n);
  const satisfied = num(r?.good);
  return {
    n,
    score: n === 0 ? null : (100 * satisfied) / n,
    ci95: wilsonPercent(satisfied, n),
    small_n: n < SMALL_N,
    satisfied,
    mean: n === 0 ? null : numOrNull(r?.mean),
  };
}

export function cesFigure(r: Row | undefined): CesFigure {
  const n = num(r?.n);
  const easy = num(r?.good);
  const mean = n === 0 ? null : numOrNull(r?.mean);
  return {
    n,
    score: mean,
    ci95: mean === null ? null : meanInterval(mean, numOrNull(r?.sd), n, 1, 7),
    small_n: n < SMALL_N,
    easy,
    percent_easy: n === 0 ? null : (100 * easy) / n,
  };
}
