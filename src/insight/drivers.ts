/**
 * Drivers of dissatisfaction (docs/attribution.md, "Drivers"): which experiences in the weeks
 * before a relationship answer make a customer a detractor. Every factor a customer met in the
 * window is a 0/1 exposure of the answer; one penalised logistic regression of "detractor" on all
 * of them at once gives each factor its own effect, so a step that fails alongside a broken
 * promise does not take the promise's blame. SQL lists the exposures per answer; the fit is here.
 * The same model, applied to a customer's recent experiences, is the risk model's estimate of
 * how likely a customer who never answered a survey is to be a detractor (risk.ts).
 */
import { AppError } from '../core/errors.ts';
import { FAILED_SQL } from '../journey/build.ts';
import type { Queryable, SqlParam } from '../store/store.ts';
import { contactsSql, DAY_MS, round } from './contacts.ts';
import { fitLogistic, sigmoid, Z95 } from './stats.ts';
import type { LogisticFit } from './stats.ts';

export const DRIVER_METRICS = ['nps', 'csat'] as const;
export type DriverMetric = (typeof DRIVER_METRICS)[number];

export const FACTOR_KINDS = ['step_failure', 'channel_switch', 'repeat_contact', 'unresolved_journey', 'broken_promise', 'store_staff', 'agent'] as const;
export type FactorKind = (typeof FACTOR_KINDS)[number];

export const DEFAULT_WINDOW_DAYS = 60;
/** Factors fewer answers met are not estimated on their own: their effects would be noise. */
export const DEFAULT_MIN_EXPOSED = 10;
/**
 * Prior precision on each factor's log-odds effect: a N(0, ½) prior, i.e. before the data an
 * effect beyond an odds ratio of about 4 is unlikely. It keeps rare and collinear factors from
 * swinging to extremes; the intercept is left free.
 */
export const FACTOR_PENALTY = 2;

/** Where factors of a kind too rare to estimate on their own are pooled. */
export const POOLS: Readonly<Partial<Record<FactorKind, string>>> = {
  step_failure: 'failure at another step',
  broken_promise: 'broken promise: other kind',
};

export interface Driver {
  /** What happened, named to act on: `web:pay_bill/submit_payment failure`, `store staff ST-04`, `broken promise: credit`. */
  factor: string;
  kind: FactorKind;
  /** Answers whose window held the factor. */
  exposed: number;
  /** Distinct customers behind those answers. */
  customers: number;
  detractor_rate_exposed: number;
  detractor_rate_unexposed: number;
  /** detractor_rate_exposed / detractor_rate_unexposed (null when nobody unexposed was a detractor). */
  lift: number | null;
  /**
   * The factor's own effect, the ranking key: how much more likely the exposed answers were to be
   * detractors because of it, every other factor held as it was (an average marginal effect, −1 to 1).
   */
  effect: number;
  ci95: [number, number];
  /** exp(β): the factor's adjusted odds ratio. */
  odds_ratio: number;
  /** effect × exposed: how many of the detractors the factor accounts for. */
  attributable: number;
}

export interface DriversOptions {
  readonly metric?: DriverMetric | undefined;
  readonly top?: number | undefined;
  readonly windowDays?: number | undefined;
  readonly minExposed?: number | undefined;
  /** Epoch ms, inclusive: answers from then on. */
  readonly from?: number | undefined;
  /** Epoch ms, exclusive. */
  readonly to?: number | undefined;
}

/** The fitted regression, in a form that can score any customer's recent experiences. */
export interface DetractorModel {
  readonly metric: DriverMetric;
  readonly windowMs: number;
  /** Log-odds of a detractor with none of the factors. */
  readonly intercept: number;
  /** Log-odds effect of each estimated factor, by name. */
  readonly effects: ReadonlyMap<string, number>;
}

interface Factor {
  kind: FactorKind;
  rows: Set<number>;
}

interface Fitted {
  model: DetractorModel;
  answers: { id: string; customer: string; detractor: boolean }[];
  kept: [string, Factor][];
  fit: LogisticFit | null;
}

/**
 * The answers analysed and what makes one a "detractor": relationship NPS 0–6 for `nps`; for
 * `csat`, CSAT answers of any scope scoring 1–3 (not satisfied, as the CSAT score counts 4–5).
 */
function answerSql(metric: DriverMetric, options: DriversOptions, params: SqlParam[]): string {
  const where = [`f.customer_key IS NOT NULL`, `f.score IS NOT NULL`];
  if (metric === 'nps') where.push(`f.metric = 'nps'`, `f.scope = 'relationship'`);
  else where.push(`f.metric = 'csat'`);
  if (options.from !== undefined) {
    params.push(options.from);
    where.push(`f.ts >= $${params.length}`);
  }
  if (options.to !== undefined) {
    params.push(options.to);
    where.push(`f.ts < $${params.length}`);
  }
  const detractor = metric === 'nps' ? 'f.score <= 6' : 'f.score <= 3';
  return `SELECT f.response_id AS anchor_id, f.customer_key, f.ts, CASE WHEN ${detractor} THEN 1 ELSE 0 END AS detractor
    FROM feedback f WHERE ${where.join(' AND ')}`;
}

/**
 * `anchor_id, factor, kind`: every factor each anchor's window held, once. An anchor is a
 * `(anchor_id, customer_key, ts)` row: an answer when fitting, a customer at a point in time
 * when scoring; its window is the `windowMs` before `ts`.
 */
function exposureSql(anchors: string, windowMs: number): string {
  const inWindow = (t: string): string => `${t} < a.ts AND ${t} >= a.ts - ${windowMs}`;
  return `WITH a AS (${anchors}), c AS (${contactsSql()})
    SELECT DISTINCT a.anchor_id, i.channel || ':' || i.activity || ' failure' AS factor, 'step_failure' AS kind
      FROM a JOIN interactions i ON i.customer_key = a.customer_key AND ${inWindow('i.ts')}
      WHERE i.step_no IS NOT NULL AND i.outcome IN (${FAILED_SQL})
    UNION ALL
    SELECT DISTINCT a.anchor_id, 'channel switch', 'channel_switch'
      FROM a JOIN interactions i ON i.customer_key = a.customer_key AND ${inWindow('i.ts')}
      WHERE i.step_no IS NOT NULL AND i.next_channel IS NOT NULL AND i.next_channel <> i.channel AND i.next_ts < a.ts
    UNION ALL
    SELECT DISTINCT a.anchor_id, 'unresolved journey', 'unresolved_journey'
      FROM a JOIN journeys j ON j.customer_key = a.customer_key AND ${inWindow('j.end_ts')}
      WHERE j.outcome <> 'resolved'
    UNION ALL
    SELECT DISTINCT a.anchor_id, 'broken promise: ' || p.kind, 'broken_promise'
      FROM a JOIN promises p ON p.customer_key = a.customer_key AND ${inWindow('p.due')}
      WHERE p.ts < a.ts AND (p.kept_at IS NULL OR p.kept_at > p.due)
    UNION ALL
    SELECT DISTINCT a.anchor_id,
        CASE WHEN c.channel = 'store' THEN 'store staff ' ELSE 'agent ' END || c.agent_id,
        CASE WHEN c.channel = 'store' THEN 'store_staff' ELSE 'agent' END
      FROM a JOIN c ON c.customer_key = a.customer_key AND ${inWindow('c.ts')}
    UNION ALL
    SELECT DISTINCT a.anchor_id, 'repeat contact', 'repeat_contact'
      FROM a JOIN c ON c.customer_key = a.customer_key AND ${inWindow('c.ts')}
      WHERE c.repeat_contact = 1`;
}

function checkOptions(options: DriversOptions): { metric: DriverMetric; windowMs: number; minExposed: number } {
  const metric = options.metric ?? 'nps';
  if (!(DRIVER_METRICS as readonly string[]).includes(metric)) {
    throw new AppError('usage', `--metric ${String(metric)} is not a driver metric`, { hint: `use ${DRIVER_METRICS.join(' or ')}` });
  }
  const windowDays = options.windowDays ?? DEFAULT_WINDOW_DAYS;
  if (!(windowDays > 0)) throw new AppError('usage', `the window must be a positive number of days, not ${windowDays}`);
  if (options.top !== undefined && !(options.top >= 1)) throw new AppError('usage', `top must be at least 1, not ${options.top}`);
  const minExposed = options.minExposed ?? DEFAULT_MIN_EXPOSED;
  if (!(minExposed >= 1)) throw new AppError('usage', `the minimum exposed count must be at least 1, not ${minExposed}`);
  return { metric, windowMs: Math.round(windowDays * DAY_MS), minExposed };
}

async function fitDrivers(db: Queryable, options: DriversOptions): Promise<Fitted> {
  const { metric, windowMs, minExposed } = checkOptions(options);
  const params: SqlParam[] = [];
  const anchors = answerSql(metric, options, params);
  const answerRows = await db.query(`SELECT a.anchor_id, a.customer_key, a.detractor FROM (${anchors}) a ORDER BY a.anchor_id COLLATE "C"`, params);
  const answers = answerRows.map((r) => ({ id: String(r.anchor_id), customer: String(r.customer_key), detractor: Number(r.detractor) === 1 }));
  const empty: Fitted = { model: { metric, windowMs, intercept: 0, effects: new Map() }, answers, kept: [], fit: null };
  if (answers.length === 0) return empty;
  const exposureRows = await db.query(exposureSql(anchors, windowMs), params);

  const index = new Map(answers.map((a, i) => [a.id, i]));
  const factors = new Map<string, Factor>();
  for (const r of exposureRows) {
    const i = index.get(String(r.anchor_id));
    if (i === undefined) continue;
    const name = String(r.factor);
    const f = factors.get(name) ?? factors.set(name, { kind: String(r.kind) as FactorKind, rows: new Set() }).get(name)!;
    f.rows.add(i);
  }
  // Rare step failures and promise kinds are pooled, so that their share of the blame does not
  // leak to the factors they travel with (a failure is often followed by a channel switch).
  for (const [name, f] of [...factors.entries()]) {
    const pool = POOLS[f.kind];
    if (pool === undefined || f.rows.size >= minExposed) continue;
    const p = factors.get(pool) ?? factors.set(pool, { kind: f.kind, rows: new Set() }).get(pool)!;
    for (const i of f.rows) p.rows.add(i);
    factors.delete(name);
  }
  // A factor met by too few answers, or by every answer, has no contrast to estimate from.
  const kept = [...factors.entries()]
    .filter(([, f]) => f.rows.size >= minExposed && f.rows.size < answers.length)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const detractors = answers.filter((a) => a.detractor).length;
  // Everyone on one side: there is no regression to run.
  if (detractors === 0 || detractors === answers.length) return empty;

  const x = answers.map((_, i) => [1, ...kept.map(([, f]) => (f.rows.has(i) ? 1 : 0))]);
  const y = answers.map((a) => (a.detractor ? 1 : 0));
  const fit = fitLogistic(x, y, { penalty: [0, ...kept.map(() => FACTOR_PENALTY)] });
  const model: DetractorModel = {
    metric,
    windowMs,
    intercept: fit.coef[0]!,
    effects: new Map(kept.map(([name], k) => [name, fit.coef[k + 1]!])),
  };
  return { model, answers, kept, fit };
}

/**
 * Ranks the factors by their own effect on the chance of a detractor, after a penalised
 * logistic regression of "detractor" on every factor at once (docs/attribution.md).
 *
 * @example
 * const top = await driversReport(store, { metric: 'nps', top: 5 });
 * top[0]; // { factor: 'broken promise: credit', exposed: 33, effect: 0.45, ci95: [0.3, 0.56], ... }
 */
export async function driversReport(db: Queryable, options: DriversOptions = {}): Promise<Driver[]> {
  const { answers, kept, fit } = await fitDrivers(db, options);
  if (fit === null) return [];
  const eta = answers.map((_, i) => kept.reduce((s, [, f], k) => s + (f.rows.has(i) ? fit.coef[k + 1]! : 0), fit.coef[0]!));
  const totalDetractors = answers.filter((a) => a.detractor).length;

  const out: Driver[] = kept.map(([name, f], k) => {
    const j = k + 1;
    const b = fit.coef[j]!;
    const se = Math.sqrt(fit.cov[j]![j]!);
    // Average over the exposed of P(detractor | as they were) − P(detractor | the same, without the factor).
    const marginal = (coef: number): number => {
      let s = 0;
      for (const i of f.rows) s += sigmoid(eta[i]! - b + coef) - sigmoid(eta[i]! - b);
      return s / f.rows.size;
    };
    let exposedDetractors = 0;
    const customers = new Set<string>();
    for (const i of f.rows) {
      if (answers[i]!.detractor) exposedDetractors++;
      customers.add(answers[i]!.customer);
    }
    const rateExposed = exposedDetractors / f.rows.size;
    const rateUnexposed = (totalDetractors - exposedDetractors) / (answers.length - f.rows.size);
    const effect = marginal(b);
    return {
      factor: name,
      kind: f.kind,
      exposed: f.rows.size,
      customers: customers.size,
      detractor_rate_exposed: round(rateExposed, 4),
      detractor_rate_unexposed: round(rateUnexposed, 4),
      lift: rateUnexposed === 0 ? null : round(rateExposed / rateUnexposed),
      effect: round(effect, 4),
      ci95: [round(marginal(b - Z95 * se), 4), round(marginal(b + Z95 * se), 4)],
      odds_ratio: round(Math.exp(b)),
      attributable: round(effect * f.rows.size, 2),
    };
  });
  out.sort((a, b) => b.effect - a.effect || b.attributable - a.attributable || (a.factor < b.factor ? -1 : 1));
  return options.top === undefined ? out : out.slice(0, options.top);
}

/** The detractor model fitted on the answers before `at` (relationship NPS, default window). */
export async function detractorModelAt(db: Queryable, at: number, options: Omit<DriversOptions, 'to' | 'top'> = {}): Promise<DetractorModel> {
  return (await fitDrivers(db, { ...options, to: at })).model;
}

export interface ExperienceRisk {
  /** P(detractor | the customer's experiences in the window) − P(detractor | none of them): 0 to 1. */
  excess: number;
  /** The experiences that raise it most, strongest first. */
  factors: string[];
}

/**
 * How much the experiences of each customer active in the model's window before `at` raise
 * their chance of being a detractor, by the model: a detractor signal for customers who never
 * answered a survey. A factor too rare to have its own effect counts as its pool.
 */
export async function experienceRisk(db: Queryable, model: DetractorModel, at: number, customerKey?: string): Promise<Map<string, ExperienceRisk>> {
  const out = new Map<string, ExperienceRisk>();
  if (model.effects.size === 0) return out;
  const params: SqlParam[] = [at];
  if (customerKey !== undefined) params.push(customerKey);
  const anchors = `SELECT customer_key AS anchor_id, customer_key, CAST($1 AS BIGINT) AS ts FROM (
      SELECT DISTINCT customer_key FROM interactions
      WHERE customer_key IS NOT NULL AND ts < $1 AND ts >= CAST($1 AS BIGINT) - ${model.windowMs}${customerKey === undefined ? '' : ' AND customer_key = $2'}
    ) k`;
  const rows = await db.query(exposureSql(anchors, model.windowMs), params);
  const exposures = new Map<string, Set<string>>();
  for (const r of rows) {
    const kind = String(r.kind) as FactorKind;
    let name = String(r.factor);
    if (!model.effects.has(name)) name = POOLS[kind] ?? name;
    if (!model.effects.has(name)) continue;
    const key = String(r.anchor_id);
    (exposures.get(key) ?? exposures.set(key, new Set()).get(key)!).add(name);
  }
  const base = sigmoid(model.intercept);
  for (const [customer, names] of exposures) {
    const effects = [...names].map((n) => [n, model.effects.get(n)!] as const);
    const eta = effects.reduce((s, [, b]) => s + b, model.intercept);
    const harmful = effects.filter(([, b]) => b > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    out.set(customer, { excess: Math.max(0, sigmoid(eta) - base), factors: harmful.map(([n]) => n) });
  }
  return out;
}

/**
 * The answers behind one driver (its `exposed`), pooled factors included, as `driversReport`
 * counts them with the same options: what the dashboard opens when a driver is clicked.
 */
export async function driverAnswers(db: Queryable, factor: string, options: DriversOptions = {}): Promise<{ id: string; customer: string; detractor: boolean }[]> {
  const { answers, kept } = await fitDrivers(db, options);
  const f = kept.find(([name]) => name === factor)?.[1];
  if (f === undefined) return [];
  return [...f.rows].sort((a, b) => a - b).map((i) => answers[i]!);
}
