/**
 * Switching risk (docs/risk.md): the probability that a customer cancels in the next 30 days,
 * from a logistic regression on a handful of per-customer signals a person can act on, with the
 * signals that raise it as plain-word reasons.
 *
 * How it is fitted in production: at query time, on the store's own history. The signals as
 * they stood `horizon` days ago are regressed on who cancelled since, and the fitted model scores
 * the signals as they stand now. The fit is shrunk towards documented prior coefficients
 * (PRIOR below), so a young store with few cancellations gets the prior's ranking and learns its
 * own as its history grows. One SQL definition of every signal serves both points in time.
 */
import { AppError } from '../core/errors.ts';
import { hiddenAtRiskSql } from '../feedback/hidden.ts';
import { FAILED_SQL } from '../journey/build.ts';
import type { Queryable, Row, SqlParam } from '../store/store.ts';
import { DAY_MS, round } from './contacts.ts';
import { detractorModelAt, experienceRisk } from './drivers.ts';
import type { DetractorModel, ExperienceRisk } from './drivers.ts';
import { dot, fitLogistic, sigmoid } from './stats.ts';

export const DEFAULT_HORIZON_DAYS = 30;
/** How far back the signals look. */
export const LOOKBACK_DAYS = 90;
/** A complaint followed by this long without any contact is "silence after a complaint". */
export const SILENCE_DAYS = 14;
/** At least this many failed steps in the lookback are "repeated failures". */
export const REPEATED_FAILURES = 3;

/** The signals, in model column order after the intercept. */
export const RISK_FEATURES = [
  'detractor',
  'detractor_experiences',
  'hidden_at_risk',
  'broken_credit_promise',
  'broken_other_promise',
  'waiting_on_promise',
  'repeated_failures',
  'unresolved_journey',
  'low_csat',
  'silent_after_complaint',
] as const;
export type RiskFeature = (typeof RISK_FEATURES)[number];

/**
 * Prior log-odds coefficients, set from domain judgement before any data was fitted (docs/risk.md):
 * the intercept is a 2% monthly cancellation rate; a relationship detractor roughly triples the
 * odds; hidden at risk (a detractor who rates every contact well) adds as much again on top;
 * experiences that raise the chance of being a detractor by 50 points double the odds.
 */
export const PRIOR: Readonly<Record<'intercept' | RiskFeature, number>> = Object.freeze({
  intercept: -3.9,
  detractor: 1.1,
  detractor_experiences: 2.0,
  hidden_at_risk: 1.0,
  broken_credit_promise: 0.8,
  broken_other_promise: 0.4,
  waiting_on_promise: 0.3,
  repeated_failures: 0.4,
  unresolved_journey: 0.3,
  low_csat: 0.5,
  silent_after_complaint: 0.5,
});
/** Prior precision of each signal's coefficient (a N(prior, 1) belief); the intercept's is weak. */
export const PRIOR_PRECISION = 1;
export const INTERCEPT_PRECISION = 0.1;

export interface RiskScore {
  customer_key: string;
  /** Probability of cancelling within the horizon (30 days by default), 0–1. */
  score: number;
  /** The signals that raise the score most, in plain words, strongest first. */
  reasons: string[];
  hidden_at_risk: boolean;
}

export interface RiskOptions {
  /** Score as of this instant (epoch ms); default: just after the latest record in the store. */
  readonly asOf?: number | undefined;
  readonly horizonDays?: number | undefined;
  readonly top?: number | undefined;
}

export interface RiskModel {
  /** `fitted` on the store's history, or the `prior` alone when the history has no cancellations to learn from. */
  source: 'fitted' | 'prior';
  as_of: string;
  horizon_days: number;
  /** The fit's cut-off: signals as of then, cancellations from then until `as_of`. */
  fitted_at: string;
  training_customers: number;
  training_cancellations: number;
  coefficients: { term: 'intercept' | RiskFeature; estimate: number; prior: number }[];
}

export interface RiskAnalysis {
  scores: RiskScore[];
  model: RiskModel;
}

/** One customer's signals at a point in time, with the details the reasons quote. */
export interface CustomerSignals {
  customer_key: string;
  x: Record<RiskFeature, number>;
  nps: number | null;
  /** The experiences behind `detractor_experiences`, strongest first. */
  experiences: string[];
  broken_credit: number;
  broken_other: number;
  broken_kinds: string[];
  waiting_days: number;
  failed_steps: number;
  unresolved: number;
  min_csat: number | null;
  silent_days: number;
  /** First cancellation of the customer ever recorded, or null. */
  left_at: number | null;
}

/** `customer_key, at`: each customer's first cancellation (a `cancel/…` step or a holding's `until`). */
export const CANCELLATIONS_SQL = `SELECT customer_key, min(t) AS at FROM (
    SELECT customer_key, ts AS t FROM interactions WHERE activity LIKE 'cancel/%' AND customer_key IS NOT NULL
    UNION ALL
    SELECT customer_key, until AS t FROM holdings WHERE until IS NOT NULL AND customer_key IS NOT NULL
  ) g GROUP BY customer_key`;

/**
 * Every customer seen in the lookback (an interaction, an answer, or a product held) who had not
 * cancelled before `at`, with their signals from records before `at` only. `detractors` turns
 * recent experiences into the `detractor_experiences` signal (drivers.ts); by default the model
 * fitted on the answers before `at`.
 */
export async function customerSignals(db: Queryable, at: number, customerKey?: string, detractors?: DetractorModel): Promise<CustomerSignals[]> {
  const experiences = await experienceRisk(db, detractors ?? (await detractorModel(db, at)), at, customerKey);
  // The look-back's start is a second parameter rather than `$1 - …`: arithmetic on an untyped
  // parameter is ambiguous in PostgreSQL.
  const params: SqlParam[] = [at, at - LOOKBACK_DAYS * DAY_MS];
  const hidden = hiddenAtRiskSql(params, { to: at });
  let only = '';
  if (customerKey !== undefined) {
    params.push(customerKey);
    only = `AND cust.customer_key = $${params.length}`;
  }
  const rows = await db.query(
    `WITH ev AS (
       SELECT customer_key, ts, outcome, step_no FROM interactions
       WHERE customer_key IS NOT NULL AND ts < $1 AND ts >= $2
     ), fb AS (
       SELECT customer_key, ts, seq, metric, scope, score FROM feedback
       WHERE customer_key IS NOT NULL AND score IS NOT NULL AND ts < $1 AND ts >= $2
     ), cust AS (
       SELECT customer_key FROM ev
       UNION SELECT customer_key FROM fb
       UNION SELECT customer_key FROM holdings WHERE customer_key IS NOT NULL AND (since IS NULL OR since < $1)
     ), gone AS (${CANCELLATIONS_SQL}),
     nps AS (
       SELECT customer_key, score FROM (
         SELECT customer_key, score, row_number() OVER (PARTITION BY customer_key ORDER BY ts DESC, seq DESC) AS rn
         FROM fb WHERE metric = 'nps' AND scope = 'relationship'
       ) l WHERE rn = 1
     ), csat AS (
       SELECT customer_key, min(score) AS min_csat FROM fb WHERE metric = 'csat' AND scope = 'transaction' GROUP BY customer_key
     ), complaint AS (
       SELECT customer_key, max(ts) AS at FROM fb
       WHERE (metric = 'nps' AND scope = 'relationship' AND score <= 6) OR (metric = 'csat' AND score <= 2)
       GROUP BY customer_key
     ), steps AS (
       SELECT customer_key, max(ts) AS last_at, sum(CASE WHEN outcome IN (${FAILED_SQL}) THEN 1 ELSE 0 END) AS failed_steps
       FROM ev WHERE step_no IS NOT NULL GROUP BY customer_key
     ), unresolved AS (
       SELECT customer_key, count(*) AS n FROM journeys
       WHERE end_ts < $1 AND end_ts >= $2 AND outcome <> 'resolved' GROUP BY customer_key
     ), broken AS (
       SELECT customer_key,
         sum(CASE WHEN kind = 'credit' THEN 1 ELSE 0 END) AS credit,
         sum(CASE WHEN kind = 'credit' THEN 0 ELSE 1 END) AS other,
         max(CASE WHEN kept_at IS NULL OR kept_at >= $1 THEN CAST($1 AS BIGINT) - due END) AS waiting_ms,
         min(kind) AS kind_a, max(kind) AS kind_b
       FROM promises
       WHERE customer_key IS NOT NULL AND due < $1 AND due >= $2 AND ts < $1 AND (kept_at IS NULL OR kept_at > due)
       GROUP BY customer_key
     ), hidden AS (${hidden})
     SELECT cust.customer_key, gone.at AS left_at, nps.score AS nps, csat.min_csat,
       complaint.at AS complaint_at, steps.last_at, coalesce(steps.failed_steps, 0) AS failed_steps,
       coalesce(unresolved.n, 0) AS unresolved, coalesce(broken.credit, 0) AS broken_credit,
       coalesce(broken.other, 0) AS broken_other, broken.waiting_ms, broken.kind_a, broken.kind_b,
       CASE WHEN hidden.customer_key IS NULL THEN 0 ELSE 1 END AS hidden
     FROM cust
       LEFT JOIN gone ON gone.customer_key = cust.customer_key
       LEFT JOIN nps ON nps.customer_key = cust.customer_key
       LEFT JOIN csat ON csat.customer_key = cust.customer_key
       LEFT JOIN complaint ON complaint.customer_key = cust.customer_key
       LEFT JOIN steps ON steps.customer_key = cust.customer_key
       LEFT JOIN unresolved ON unresolved.customer_key = cust.customer_key
       LEFT JOIN broken ON broken.customer_key = cust.customer_key
       LEFT JOIN hidden ON hidden.customer_key = cust.customer_key
     WHERE (gone.at IS NULL OR gone.at >= $1) ${only}
     ORDER BY cust.customer_key`,
    params,
  );
  return rows.map((r) => toSignals(r, at, experiences.get(String(r.customer_key)) ?? null));
}

const num = (v: Row[string]): number | null => (v === null || v === undefined ? null : Number(v));

function toSignals(r: Row, at: number, experience: ExperienceRisk | null): CustomerSignals {
  const nps = num(r.nps);
  const minCsat = num(r.min_csat);
  const complaintAt = num(r.complaint_at);
  const lastAt = num(r.last_at);
  const waitingMs = num(r.waiting_ms);
  const credit = Number(r.broken_credit);
  const other = Number(r.broken_other);
  const failed = Number(r.failed_steps);
  const unresolved = Number(r.unresolved);
  // Silent: the complaint is the customer's last word, and it is at least SILENCE_DAYS old.
  const silent = complaintAt !== null && at - complaintAt >= SILENCE_DAYS * DAY_MS && (lastAt === null || lastAt <= complaintAt);
  const kinds = [r.kind_a, r.kind_b].filter((k): k is string => typeof k === 'string');
  return {
    customer_key: String(r.customer_key),
    x: {
      detractor: nps !== null && nps <= 6 ? 1 : 0,
      detractor_experiences: experience === null ? 0 : round(experience.excess, 4),
      hidden_at_risk: Number(r.hidden),
      broken_credit_promise: credit > 0 ? 1 : 0,
      broken_other_promise: other > 0 ? 1 : 0,
      waiting_on_promise: waitingMs !== null ? 1 : 0,
      repeated_failures: failed >= REPEATED_FAILURES ? 1 : 0,
      unresolved_journey: unresolved > 0 ? 1 : 0,
      low_csat: minCsat !== null && minCsat <= 2 ? 1 : 0,
      silent_after_complaint: silent ? 1 : 0,
    },
    nps,
    experiences: experience?.factors ?? [],
    broken_credit: credit,
    broken_other: other,
    broken_kinds: [...new Set(kinds)].filter((k) => k !== 'credit'),
    waiting_days: waitingMs === null ? 0 : Math.floor(waitingMs / DAY_MS),
    failed_steps: failed,
    unresolved,
    min_csat: minCsat,
    silent_days: complaintAt === null ? 0 : Math.floor((at - complaintAt) / DAY_MS),
    left_at: num(r.left_at),
  };
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? `a ${one}` : `${n} ${many}`);

/** The plain-word reason for a signal that is on. */
export function reasonWords(feature: RiskFeature, s: CustomerSignals): string {
  switch (feature) {
    case 'detractor':
      return `detractor: last relationship NPS ${s.nps}`;
    case 'detractor_experiences': {
      // Broken promises have reasons of their own; name the other experiences when there are any.
      const others = s.experiences.filter((e) => !e.startsWith('broken promise'));
      const named = (others.length > 0 ? others : s.experiences).slice(0, 2);
      return named.length === 0 ? 'recent experiences that make detractors' : `recent experiences that make detractors: ${named.join(', ')}`;
    }
    case 'hidden_at_risk':
      return 'hidden at risk: rates every contact well but is a detractor about the company';
    case 'broken_credit_promise':
      return s.broken_credit === 1 ? 'a broken credit promise' : `${s.broken_credit} broken credit promises`;
    case 'broken_other_promise':
      return `${plural(s.broken_other, 'broken promise', 'broken promises')}${s.broken_kinds.length > 0 ? ` (${s.broken_kinds.join(', ')})` : ''}`;
    case 'waiting_on_promise':
      return `still waiting on a promise ${s.waiting_days === 0 ? 'that just fell due' : `${s.waiting_days} ${s.waiting_days === 1 ? 'day' : 'days'} overdue`}`;
    case 'repeated_failures':
      return `repeated failures: ${s.failed_steps} failed steps in ${LOOKBACK_DAYS} days`;
    case 'unresolved_journey':
      return `${plural(s.unresolved, 'journey', 'journeys')} left unresolved`;
    case 'low_csat':
      return `rated a contact ${s.min_csat} out of 5`;
    case 'silent_after_complaint':
      return `silent for ${s.silent_days} days since complaining`;
  }
}

const row = (s: CustomerSignals): number[] => [1, ...RISK_FEATURES.map((f) => s.x[f])];
const PRIOR_VECTOR = [PRIOR.intercept, ...RISK_FEATURES.map((f) => PRIOR[f])];

/** Just after the latest record in the store: "now" for a store that is not being fed live. */
export async function latestRecordTime(db: Queryable): Promise<number | null> {
  const [r] = await db.query(`SELECT max(t) AS t FROM (
      SELECT max(ts) AS t FROM interactions UNION ALL SELECT max(ts) FROM feedback UNION ALL SELECT max(ts) FROM promises
    ) m`);
  return r === undefined || r.t === null ? null : Number(r.t) + 1;
}

function scoreOf(s: CustomerSignals, coef: readonly number[]): RiskScore {
  const x = row(s);
  const contributions = RISK_FEATURES.map((f, j) => ({ f, c: coef[j + 1]! * x[j + 1]! })).filter((c) => c.c > 0);
  contributions.sort((a, b) => b.c - a.c);
  return {
    customer_key: s.customer_key,
    score: round(sigmoid(dot(x, coef)), 4),
    reasons: contributions.slice(0, 3).map((c) => reasonWords(c.f, s)),
    hidden_at_risk: s.x.hidden_at_risk === 1,
  };
}

async function resolveTimes(db: Queryable, options: RiskOptions): Promise<{ asOf: number; horizonMs: number }> {
  const horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  if (!(horizonDays > 0)) throw new AppError('usage', `the horizon must be a positive number of days, not ${horizonDays}`);
  if (options.top !== undefined && !(options.top >= 1)) throw new AppError('usage', `top must be at least 1, not ${options.top}`);
  const asOf = options.asOf ?? (await latestRecordTime(db)) ?? Date.now();
  return { asOf, horizonMs: horizonDays * DAY_MS };
}

/**
 * Fits the model on the store's history and scores every current customer.
 *
 * @example
 * const { scores, model } = await riskAnalysis(store, { top: 10 });
 * scores[0]; // { customer_key: 'c-…', score: 0.41, reasons: ['hidden at risk: …', 'a broken credit promise'], hidden_at_risk: true }
 */
export async function riskAnalysis(db: Queryable, options: RiskOptions = {}): Promise<RiskAnalysis> {
  const { asOf, horizonMs } = await resolveTimes(db, options);
  const model = await fitRiskModel(db, asOf, horizonMs);
  const coef = model.coefficients.map((c) => c.estimate);
  const scores = (await customerSignals(db, asOf)).map((s) => scoreOf(s, coef));
  scores.sort((a, b) => b.score - a.score || (a.customer_key < b.customer_key ? -1 : 1));
  return { scores: options.top === undefined ? scores : scores.slice(0, options.top), model };
}

/** The `risk` document of spec/CLI.md (and `/api/v1/risk`). */
export async function riskReport(db: Queryable, options: RiskOptions = {}): Promise<RiskScore[]> {
  return (await riskAnalysis(db, options)).scores;
}

/** One customer's risk as of `asOf`, for the customer context; null for a customer who has left or is unknown. */
export async function customerRisk(db: Queryable, customerKey: string, options: Omit<RiskOptions, 'top'> = {}): Promise<RiskScore | null> {
  const { asOf, horizonMs } = await resolveTimes(db, options);
  const [s] = await customerSignals(db, asOf, customerKey);
  if (s === undefined) return null;
  const model = await fitRiskModel(db, asOf, horizonMs);
  return scoreOf(s, model.coefficients.map((c) => c.estimate));
}

// One fit per store state and cut-off: the server asks for many customers' risk in a row.
const cache = new WeakMap<Queryable, Map<string, RiskModel | DetractorModel>>();

async function cached<T extends RiskModel | DetractorModel>(db: Queryable, key: string, make: () => Promise<T>): Promise<T> {
  const [state] = await db.query(`SELECT (SELECT value FROM settings WHERE key = 'next_seq') AS seq`);
  const full = `${String(state?.seq ?? '')}|${key}`;
  const hit = cache.get(db)?.get(full);
  if (hit !== undefined) return hit as T;
  const value = await make();
  const perDb = cache.get(db) ?? new Map<string, RiskModel | DetractorModel>();
  if (perDb.size > 32) perDb.clear();
  perDb.set(full, value);
  cache.set(db, perDb);
  return value;
}

function detractorModel(db: Queryable, at: number): Promise<DetractorModel> {
  return cached(db, `detractors|${at}`, () => detractorModelAt(db, at));
}

function fitRiskModel(db: Queryable, asOf: number, horizonMs: number): Promise<RiskModel> {
  return cached(db, `risk|${asOf}|${horizonMs}`, () => fitRisk(db, asOf, horizonMs));
}

async function fitRisk(db: Queryable, asOf: number, horizonMs: number): Promise<RiskModel> {
  const cutoff = asOf - horizonMs;
  // Experiences are weighed by the detractor model of `asOf` at both points in time: it learns from
  // survey answers, never from cancellations, so the only outcomes the fit sees are still those
  // before `asOf`, and a store whose surveys go out in waves has a usable model at the cut-off.
  const train = await customerSignals(db, cutoff, undefined, await detractorModel(db, asOf));
  const x = train.map(row);
  const y = train.map((s): number => (s.left_at !== null && s.left_at >= cutoff && s.left_at < asOf ? 1 : 0));
  const events = y.reduce((a, b) => a + b, 0);
  let coef = PRIOR_VECTOR;
  // Without a cancellation there is nothing to learn: the prior scores on its own.
  if (events > 0 && events < train.length) {
    coef = fitLogistic(x, y, {
      penalty: [INTERCEPT_PRECISION, ...RISK_FEATURES.map(() => PRIOR_PRECISION)],
      priorMean: PRIOR_VECTOR,
    }).coef;
  }
  const model: RiskModel = {
    source: coef === PRIOR_VECTOR ? 'prior' : 'fitted',
    as_of: new Date(asOf).toISOString(),
    horizon_days: round(horizonMs / DAY_MS, 2),
    fitted_at: new Date(cutoff).toISOString(),
    training_customers: train.length,
    training_cancellations: events,
    coefficients: (['intercept', ...RISK_FEATURES] as const).map((term, j) => ({ term, estimate: round(coef[j]!, 4), prior: PRIOR_VECTOR[j]! })),
  };
  return model;
}
