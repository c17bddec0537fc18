/**
 * Broken steps: which steps fail, what their failures cost, and what to fix first
 * (docs/journeys.md, "Broken steps"). A step is a `channel` + `activity`; a failure is an outcome
 * of `failure`, `abandoned` or `transferred`.
 *
 * The ranking is by `impact`, the extra cost of the step's *excess* failures: failures above
 * what is normal for steps of its kind, times what a failure there costs over what customers
 * with the same goal experience when they do not fail there (extra assisted contacts plus lost
 * satisfaction). Volume alone, or transfers at the normal rate of routing steps, earn nothing.
 *
 * SQL does the per-event work (windows over each journey's steps) and returns one row per step,
 * or per step and intent; the baselines and the formula run on those few rows.
 */
import { AppError } from '../core/errors.ts';
import type { SqlParam } from '../store/store.ts';
import { ASSISTED_SQL, FAILED_SQL } from './build.ts';
import { journeyConditions } from './filters.ts';
import type { JourneyDb, JourneyFilter } from './filters.ts';
import { journeySatisfactionSql } from './satisfaction.ts';
import { round4 } from './summary.ts';

/** A customer who comes back for the same intent within this time after a failed journey repeated the contact. */
export const REPEAT_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** Steps with fewer events do not set a channel's normal failure rate: their rates are noise. */
export const MIN_PEER_EVENTS = 20;
/** Fewer peers than this in a channel, and the step is compared with every channel's steps. */
export const MIN_PEERS = 3;
/** Fewer answers than this on either side, and a satisfaction drop is not claimed. */
export const MIN_SATISFACTION_ANSWERS = 5;
/** z for the one-sided lower confidence bound on a failure rate (95% two-sided). */
const Z = 1.96;

export const FAILURE_KINDS = ['failure', 'abandoned', 'transferred'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface BrokenStep {
  channel: string;
  activity: string;
  events: number;
  failures: number;
  failure_rate: number;
  /** Distinct customers who hit a failure at the step. */
  customers_affected: number;
  /** Of the journeys that failed at the step: share that went on in another channel. */
  switch_rate: number;
  /** …share that tried the same activity again, or came back for the same intent within 7 days. */
  repeat_contact_rate: number;
  /** Assisted contacts (call, chat, store) after the failure, summed over the failed journeys. */
  downstream_contacts: number;
  /** Mean satisfaction (0–1) of same-intent journeys that did not fail here minus that of those that did; null without enough answers. */
  satisfaction_drop: number | null;
  /** Excess customers × (extra assisted contacts per failed journey + satisfaction drop): see docs/journeys.md. */
  impact: number;
  /** Failures by kind. */
  by_kind: Record<FailureKind, number>;
  /** The failure rate that is normal for steps of this kind (sum over kinds of the peer medians). */
  expected_failure_rate: number;
  /** How far the failure rate is, with 95% confidence, above normal. */
  excess_failure_rate: number;
  /** customers_affected × excess_failure_rate / failure_rate. */
  excess_customers: number;
  failed_journeys: number;
  /** Of the failed journeys: share that ended unresolved or abandoned. */
  unresolved_rate: number;
  /** Assisted contacts after the failure per failed journey. */
  contacts_per_failure: number;
  /** contacts_per_failure minus the assisted contacts of same-intent journeys that did not fail here. */
  extra_contacts_per_failure: number;
  satisfaction_failed: number | null;
  satisfaction_baseline: number | null;
  satisfaction_answers: number;
}

export interface BrokenOptions extends JourneyFilter {
  readonly top?: number;
}

/** Wilson score lower bound of a proportion: how high the rate is at least, given the volume. */
export function wilsonLower(successes: number, n: number, z = Z): number {
  if (n === 0) return 0;
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - margin) / (1 + z2 / n));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface StepRow {
  channel: string;
  activity: string;
  events: number;
  kinds: Record<FailureKind, number>;
  customers: number;
}

/**
 * The normal rate of one kind of failure for a step: the median rate among its peers. Failures
 * and abandonment can happen at any step, so every step of the channel is a peer. A transfer is
 * a routing decision that only some steps make (an IVR menu hands a third of its callers to an
 * agent by design), so for transfers the peers are the channel's steps that transfer at all,
 * and a step that never transfers has no normal transfer rate.
 * With fewer than MIN_PEERS peers in the channel, the peers are those of every channel.
 */
export function normalRate(step: StepRow, kind: FailureKind, steps: readonly StepRow[]): number {
  // A step that never transfers is no routing step: no transfer rate is normal for it.
  if (kind === 'transferred' && step.kinds.transferred === 0) return 0;
  const eligible = (s: StepRow): boolean => s.events >= MIN_PEER_EVENTS && (kind !== 'transferred' || s.kinds.transferred > 0);
  let peers = steps.filter((s) => s.channel === step.channel && eligible(s));
  if (peers.length < MIN_PEERS) peers = steps.filter(eligible);
  return median(peers.map((s) => s.kinds[kind] / s.events));
}

interface IntentTotals {
  journeys: number;
  assisted: number;
  satSum: number;
  satN: number;
}

interface FailedByIntent {
  intent: string;
  journeys: number;
  assistedAfter: number;
  assistedTotal: number;
  switched: number;
  repeated: number;
  unresolved: number;
  satSum: number;
  satN: number;
}

export async function brokenSteps(db: JourneyDb, options: BrokenOptions = {}): Promise<BrokenStep[]> {
  if (options.top !== undefined && !(options.top >= 1)) throw new AppError('usage', `top must be at least 1, not ${options.top}`);
  const params: SqlParam[] = [];
  const where = journeyConditions(options, params);
  const selected = `SELECT j.journey_id, j.customer_key, j.intent, j.outcome, j.assisted, j.failures, j.start_ts, j.end_ts, j.first_seq
    FROM journeys j WHERE ${where}`;

  // Three independent queries, sent together: PostgreSQL runs them on connections of its pool at
  // once, so broken steps take about as long as the second, the longest; DuckDB's connection
  // takes them in turn.
  // 1. Every step: events, failures by kind, customers hit.
  const stepQuery = db.query(
    `SELECT i.channel, i.activity, count(*) AS events,
       ${FAILURE_KINDS.map((k) => `sum(CASE WHEN i.outcome = '${k}' THEN 1 ELSE 0 END) AS n_${k}`).join(', ')},
       count(DISTINCT CASE WHEN i.outcome IN (${FAILED_SQL}) THEN i.customer_key END) AS customers
     FROM interactions i JOIN (${selected}) s ON s.journey_id = i.journey_id
     WHERE i.step_no IS NOT NULL
     GROUP BY i.channel, i.activity`,
    params,
  );
  // 2. The journeys that failed at a step (from their first failure there): what happened next,
  // per step and intent. Windows run over each journey's steps in their stored order.
  // `s` is read three times. Materialised (PostgreSQL's choice for a CTE used more than once)
  // it hides the journeys table's statistics: PostgreSQL then guessed 200 failed journeys for
  // 123,000 and walked an index for each; inlined, it hash-joins (1M events: 7.1-7.6 s -> 4.1-4.8
  // s; DuckDB 0.76-1.01 -> 0.67-0.88 s).
  const failedQuery = db.query(
    `WITH s AS NOT MATERIALIZED (${selected}),
     nextj AS (
       SELECT jj.journey_id,
         lead(jj.start_ts) OVER (PARTITION BY jj.customer_key, jj.intent ORDER BY jj.start_ts, jj.first_seq) AS next_start
       FROM journeys jj WHERE jj.customer_key IN (SELECT customer_key FROM s WHERE failures > 0)
     ),
     e AS (
       SELECT i.journey_id, i.channel, i.activity, i.step_no,
         CASE WHEN i.outcome IN (${FAILED_SQL}) THEN 1 ELSE 0 END AS failed,
         CASE WHEN i.channel IN (${ASSISTED_SQL}) THEN 1 ELSE 0 END AS assisted
       -- Only journeys with a failure can have a first failure at a step: the windows sort just those.
       FROM interactions i WHERE i.step_no IS NOT NULL AND i.journey_id IN (SELECT journey_id FROM s WHERE failures > 0)
     ),
     w AS (
       SELECT e.*,
         coalesce(sum(assisted) OVER rest, 0) AS assisted_after,
         min(channel) OVER rest AS min_channel_after,
         max(channel) OVER rest AS max_channel_after,
         count(*) OVER (PARTITION BY journey_id, activity ORDER BY step_no ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS same_after,
         row_number() OVER (PARTITION BY journey_id, channel, activity, failed ORDER BY step_no) AS occurrence
       FROM e
       WINDOW rest AS (PARTITION BY journey_id ORDER BY step_no ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
     ),
     sat AS (${journeySatisfactionSql()})
     SELECT w.channel, w.activity, s.intent, count(*) AS journeys,
       sum(w.assisted_after) AS assisted_after, sum(s.assisted) AS assisted_total,
       sum(CASE WHEN w.min_channel_after < w.channel OR w.max_channel_after > w.channel THEN 1 ELSE 0 END) AS switched,
       sum(CASE WHEN w.same_after > 0 OR n.next_start - s.end_ts <= ${REPEAT_WINDOW_MS} THEN 1 ELSE 0 END) AS repeated,
       sum(CASE WHEN s.outcome <> 'resolved' THEN 1 ELSE 0 END) AS unresolved,
       coalesce(sum(sat.sat), 0) AS sat_sum, count(sat.sat) AS sat_n
     FROM w JOIN s ON s.journey_id = w.journey_id
       LEFT JOIN nextj n ON n.journey_id = w.journey_id
       LEFT JOIN sat ON sat.journey_id = w.journey_id
     WHERE w.failed = 1 AND w.occurrence = 1
     GROUP BY w.channel, w.activity, s.intent`,
    params,
  );

  // 3. Every intent of the selected journeys: what its journeys normally need and feel.
  const intentQuery = db.query(
    `WITH s AS (${selected}), sat AS (${journeySatisfactionSql()})
     SELECT s.intent, count(*) AS journeys, sum(s.assisted) AS assisted, coalesce(sum(sat.sat), 0) AS sat_sum, count(sat.sat) AS sat_n
     FROM s LEFT JOIN sat ON sat.journey_id = s.journey_id GROUP BY s.intent`,
    params,
  );
  const [stepRows, failedRows, intentRows] = await Promise.all([stepQuery, failedQuery, intentQuery]);
  const steps: StepRow[] = stepRows.map((r) => ({
    channel: String(r.channel),
    activity: String(r.activity),
    events: Number(r.events),
    kinds: { failure: Number(r.n_failure), abandoned: Number(r.n_abandoned), transferred: Number(r.n_transferred) },
    customers: Number(r.customers),
  }));

  const intents = new Map<string, IntentTotals>(
    intentRows.map((r) => [
      String(r.intent),
      { journeys: Number(r.journeys), assisted: Number(r.assisted), satSum: Number(r.sat_sum), satN: Number(r.sat_n) },
    ]),
  );
  const failed = new Map<string, FailedByIntent[]>();
  for (const r of failedRows) {
    const key = `${String(r.channel)}\u0000${String(r.activity)}`;
    const list = failed.get(key) ?? [];
    list.push({
      intent: String(r.intent),
      journeys: Number(r.journeys),
      assistedAfter: Number(r.assisted_after),
      assistedTotal: Number(r.assisted_total),
      switched: Number(r.switched),
      repeated: Number(r.repeated),
      unresolved: Number(r.unresolved),
      satSum: Number(r.sat_sum),
      satN: Number(r.sat_n),
    });
    failed.set(key, list);
  }

  const out: { step: BrokenStep; impact: number; excessFailures: number }[] = [];
  for (const step of steps) {
    const failures = step.kinds.failure + step.kinds.abandoned + step.kinds.transferred;
    if (failures === 0) continue;
    const failureRate = failures / step.events;
    let expected = 0;
    let excess = 0;
    for (const kind of FAILURE_KINDS) {
      const normal = normalRate(step, kind, steps);
      expected += normal;
      excess += Math.max(0, wilsonLower(step.kinds[kind], step.events) - normal);
    }
    excess = Math.min(excess, failureRate);
    const excessCustomers = (step.customers * excess) / failureRate;

    // Consequences, each failed journey against the same intent's journeys that did not fail here.
    const groups = failed.get(`${step.channel}\u0000${step.activity}`) ?? [];
    let fj = 0;
    let after = 0;
    let baselineContacts = 0;
    let switched = 0;
    let repeated = 0;
    let unresolved = 0;
    let satFailedSum = 0;
    let satFailedN = 0;
    let satBaseWeighted = 0;
    let satBaseWeight = 0;
    let satBaseAnswers = 0;
    for (const g of groups) {
      const t = intents.get(g.intent);
      fj += g.journeys;
      after += g.assistedAfter;
      switched += g.switched;
      repeated += g.repeated;
      unresolved += g.unresolved;
      satFailedSum += g.satSum;
      satFailedN += g.satN;
      if (t === undefined) continue;
      const others = t.journeys - g.journeys;
      // With no other journey of the intent, the failed ones are their own baseline: no extra.
      baselineContacts += g.journeys * (others > 0 ? (t.assisted - g.assistedTotal) / others : g.assistedAfter / g.journeys);
      const otherAnswers = t.satN - g.satN;
      if (g.satN > 0 && otherAnswers > 0) {
        satBaseWeighted += g.satN * ((t.satSum - g.satSum) / otherAnswers);
        satBaseWeight += g.satN;
        satBaseAnswers += otherAnswers;
      }
    }
    const contactsPerFailure = fj === 0 ? 0 : after / fj;
    const extraContacts = fj === 0 ? 0 : contactsPerFailure - baselineContacts / fj;
    const satFailed = satFailedN > 0 ? satFailedSum / satFailedN : null;
    const satBaseline = satBaseWeight > 0 ? satBaseWeighted / satBaseWeight : null;
    const enoughAnswers = satFailedN >= MIN_SATISFACTION_ANSWERS && satBaseAnswers >= MIN_SATISFACTION_ANSWERS;
    const satDrop = enoughAnswers && satFailed !== null && satBaseline !== null ? satBaseline - satFailed : null;
    const impact = excessCustomers * (Math.max(0, extraContacts) + Math.max(0, satDrop ?? 0));

    const row: BrokenStep = {
      channel: step.channel,
      activity: step.activity,
      events: step.events,
      failures,
      failure_rate: round4(failureRate) ?? 0,
      customers_affected: step.customers,
      switch_rate: round4(fj === 0 ? 0 : switched / fj) ?? 0,
      repeat_contact_rate: round4(fj === 0 ? 0 : repeated / fj) ?? 0,
      downstream_contacts: after,
      satisfaction_drop: round4(satDrop),
      impact: Math.round(impact * 100) / 100,
      by_kind: { ...step.kinds },
      expected_failure_rate: round4(expected) ?? 0,
      excess_failure_rate: round4(excess) ?? 0,
      excess_customers: Math.round(excessCustomers * 100) / 100,
      failed_journeys: fj,
      unresolved_rate: round4(fj === 0 ? 0 : unresolved / fj) ?? 0,
      contacts_per_failure: round4(contactsPerFailure) ?? 0,
      extra_contacts_per_failure: round4(extraContacts) ?? 0,
      satisfaction_failed: round4(satFailed),
      satisfaction_baseline: round4(satBaseline),
      satisfaction_answers: satFailedN,
    };
    out.push({ step: row, impact, excessFailures: excess * step.events });
  }
  // Ties (no impact at all, say) go to the larger excess, then to more failures, then to the name.
  out.sort(
    (a, b) =>
      b.impact - a.impact ||
      b.excessFailures - a.excessFailures ||
      b.step.failures - a.step.failures ||
      compareText(a.step.channel, b.step.channel) ||
      compareText(a.step.activity, b.step.activity),
  );
  const ranked = out.map((o) => o.step);
  return options.top === undefined ? ranked : ranked.slice(0, options.top);
}
