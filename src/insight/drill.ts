/**
 * What a number counts: the journeys, answers or comments behind a figure of the dashboard (a
 * KPI, a map edge, a step, a driver, a topic), each with its customer's name and phone from
 * their profiles. Every list is selected with the same definition the analysis used to count,
 * so its `total` equals the number that was clicked.
 */
import { AppError } from '../core/errors.ts';
import { listComments } from '../feedback/comments.ts';
import { FAILED_SQL } from '../journey/build.ts';
import { journeyConditions, stepConditions } from '../journey/filters.ts';
import type { JourneyFilter } from '../journey/filters.ts';
import type { MapBy } from '../journey/map.ts';
import type { Queryable, SqlParam } from '../store/store.ts';
import { customerLabels } from '../identity/labels.ts';
import { driverAnswers } from './drivers.ts';
import type { DriversOptions } from './drivers.ts';

export const DRILL_KINDS = ['journeys', 'edge', 'step', 'answers', 'driver', 'topic'] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/** Which answers of a metric a figure counts. */
export const ANSWER_GROUPS = ['all', 'detractor', 'passive', 'promoter', 'satisfied', 'unsatisfied'] as const;
export type AnswerGroup = (typeof ANSWER_GROUPS)[number];

export interface DrillRow {
  customer_key: string | null;
  name: string | null;
  phone: string | null;
  /** The journey id or answer (response) id this row is. */
  ref: string;
  /** ISO time: when the journey started or the answer came. */
  ts: string | null;
  detail: string;
}

export interface DrillDoc {
  of: DrillKind;
  /** What the list is, in words: "journeys with web:login → phone:call". */
  title: string;
  /** What a row is. */
  unit: 'journeys' | 'answers' | 'comments';
  /** Every row the figure counts, however many `rows` holds. */
  total: number;
  /** Distinct customers among all of them. */
  customers: number;
  /**
   * For edges and steps, the times it happened (the map's count), which a journey that loops
   * can add to more than once; null for the other lists, whose total is the figure.
   */
  times: number | null;
  rows: DrillRow[];
}

export interface DrillOptions {
  readonly of: DrillKind;
  readonly filter?: JourneyFilter;
  /** Map nodes for `edge` and `step`: steps (`channel:activity`), activities or channels. */
  readonly by?: MapBy;
  readonly from?: string;
  readonly to?: string;
  readonly node?: string;
  /** `step`: only the journeys where that step failed. */
  readonly failed?: boolean;
  readonly metric?: string;
  readonly scope?: string;
  readonly group?: AnswerGroup;
  /** `answers`: epoch ms bounds, as `metrics --from/--to`. */
  readonly since?: number;
  readonly until?: number;
  readonly factor?: string;
  readonly drivers?: DriversOptions;
  readonly topic?: string;
  /** Rows returned at most (the total is always complete). Default 500. */
  readonly limit?: number;
}

interface Item {
  customer: string | null;
  ref: string;
  ts: number | null;
  detail: string;
}

const iso = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

function need(v: string | undefined, name: string, of: DrillKind): string {
  if (v === undefined || v === '') throw new AppError('usage', `the ${of} list needs ${name}`, { hint: `add ${name}=… to the query` });
  return v;
}

/** A map node as an SQL expression over interactions `i` (or its next step). */
function nodeSql(by: MapBy, next: boolean): string {
  const p = next ? 'i.next_' : 'i.';
  return by === 'step' ? `${p}channel || ':' || ${p}activity` : `${p}${by}`;
}

async function journeysBehind(db: Queryable, o: DrillOptions): Promise<{ title: string; items: Item[]; times: number | null }> {
  const f = o.filter ?? {};
  const by = o.by ?? 'step';
  const params: SqlParam[] = [];
  let where: string;
  let title: string;
  if (o.of === 'journeys') {
    where = `i.journey_id IN (SELECT j.journey_id FROM journeys j WHERE ${journeyConditions(f, params)})`;
    title = f.outcome === undefined ? 'journeys' : `${f.outcome} journeys`;
  } else if (o.of === 'edge') {
    const from = need(o.from, 'from', o.of);
    const to = need(o.to, 'to', o.of);
    params.push(from, to);
    where = `${nodeSql(by, false)} = $1 AND ${nodeSql(by, true)} = $2 AND ${stepConditions(f, params)}`;
    title = `journeys where ${to} came right after ${from}`;
  } else {
    const node = need(o.node, 'node', o.of);
    params.push(node);
    where = `${nodeSql(by, false)} = $1 AND ${stepConditions(f, params)}${o.failed === true ? ` AND i.outcome IN (${FAILED_SQL})` : ''}`;
    title = o.failed === true ? `journeys where ${node} failed` : `journeys through ${node}`;
  }
  if (o.of !== 'journeys' && f.intent !== undefined) title += ` (intent ${f.intent})`;
  const rows = await db.query(
    `SELECT j.journey_id, j.customer_key, j.start_ts, j.intent, j.outcome, j.steps, j.channels
     FROM journeys j WHERE j.journey_id IN (SELECT i.journey_id FROM interactions i WHERE ${where})
     ORDER BY j.start_ts DESC, j.journey_id COLLATE "C"`,
    params,
  );
  const times = o.of === 'journeys' ? null : Number((await db.query(`SELECT count(*) AS n FROM interactions i WHERE ${where}`, params))[0]?.n ?? 0);
  return {
    title,
    times,
    items: rows.map((r) => ({
      customer: r.customer_key === null ? null : String(r.customer_key),
      ref: String(r.journey_id),
      ts: Number(r.start_ts),
      detail: `${r.intent === null ? 'no intent' : String(r.intent)} · ${String(r.outcome)} · ${Number(r.steps)} step${Number(r.steps) === 1 ? '' : 's'} (${String(r.channels ?? '')})`,
    })),
  };
}

/** The score ranges of each group, as computeMetrics counts them (NPS 0–10, CSAT 1–5). */
function groupSql(metric: string, group: AnswerGroup): string {
  if (group === 'all') return 'TRUE';
  if (metric === 'nps') {
    if (group === 'detractor') return 'f.score <= 6';
    if (group === 'passive') return 'f.score >= 7 AND f.score <= 8';
    if (group === 'promoter') return 'f.score >= 9';
  }
  if (metric === 'csat') {
    if (group === 'satisfied') return 'f.score >= 4';
    if (group === 'unsatisfied') return 'f.score <= 3';
  }
  throw new AppError('usage', `group ${group} does not apply to ${metric} answers`, { hint: metric === 'nps' ? 'use detractor, passive or promoter' : 'use satisfied or unsatisfied' });
}

async function answersBehind(db: Queryable, o: DrillOptions): Promise<{ title: string; items: Item[] }> {
  const metric = need(o.metric, 'metric', o.of);
  const group = o.group ?? 'all';
  const params: SqlParam[] = [metric];
  const where = [`f.metric = $1`, `f.score IS NOT NULL`, groupSql(metric, group)];
  if (o.scope !== undefined) {
    params.push(o.scope);
    where.push(`f.scope = $${params.length}`);
  }
  if (o.since !== undefined) {
    params.push(o.since);
    where.push(`f.ts >= $${params.length}`);
  }
  if (o.until !== undefined) {
    params.push(o.until);
    where.push(`f.ts < $${params.length}`);
  }
  const rows = await db.query(
    `SELECT f.response_id, f.customer_key, f.ts, f.score, f.scope, f.comment FROM feedback f WHERE ${where.join(' AND ')}
     ORDER BY f.ts DESC, f.response_id COLLATE "C"`,
    params,
  );
  const what = group === 'all' ? `${metric.toUpperCase()} answers` : `${metric.toUpperCase()} ${group} answers`;
  return {
    title: o.scope === undefined ? what : `${o.scope} ${what}`,
    items: rows.map((r) => ({
      customer: r.customer_key === null ? null : String(r.customer_key),
      ref: String(r.response_id),
      ts: Number(r.ts),
      detail: `${String(r.scope)} ${metric} ${Number(r.score)}${r.comment === null || r.comment === '' ? '' : `: ${String(r.comment)}`}`,
    })),
  };
}

async function driverBehind(db: Queryable, o: DrillOptions): Promise<{ title: string; items: Item[] }> {
  const factor = need(o.factor, 'factor', o.of);
  const answers = await driverAnswers(db, factor, o.drivers ?? {});
  const ids = answers.map((a) => a.id);
  const times = new Map<string, { ts: number; score: number }>();
  for (let k = 0; k < ids.length; k += 500) {
    const chunk = ids.slice(k, k + 500);
    const rows = await db.query(`SELECT response_id, ts, score FROM feedback WHERE response_id IN (${chunk.map((_, n) => `$${n + 1}`).join(', ')})`, chunk);
    for (const r of rows) times.set(String(r.response_id), { ts: Number(r.ts), score: Number(r.score) });
  }
  const items = answers.map((a) => {
    const t = times.get(a.id);
    return { customer: a.customer, ref: a.id, ts: t?.ts ?? null, detail: `${a.detractor ? 'detractor' : 'not a detractor'} · score ${t?.score ?? '–'}` };
  });
  items.sort((a, b) => (b.ts ?? 0) - (a.ts ?? 0));
  return { title: `answers whose recent experience held "${factor}"`, items };
}

async function topicBehind(db: Queryable, o: DrillOptions): Promise<{ title: string; items: Item[] }> {
  const topic = need(o.topic, 'topic', o.of);
  const comments = await listComments(db, { topic, limit: Number.MAX_SAFE_INTEGER });
  return {
    title: `comments on ${topic}`,
    items: comments.map((c) => ({ customer: c.customer_key, ref: c.id, ts: Date.parse(c.ts), detail: `${c.metric === null ? c.source : `${c.metric} ${c.score}`} · ${c.label}: ${c.text}` })),
  };
}

/**
 * The list behind a figure.
 *
 * @example
 * const doc = await drill(store, { of: 'edge', from: 'web:pay_bill/submit_payment', to: 'phone:pay_bill/agent' });
 * doc.total; // the edge's count on the journey map
 */
export async function drill(db: Queryable, o: DrillOptions): Promise<DrillDoc> {
  const limit = Math.max(1, Math.floor(o.limit ?? 500));
  const got: { title: string; items: Item[]; times?: number | null } =
    o.of === 'journeys' || o.of === 'edge' || o.of === 'step'
      ? await journeysBehind(db, o)
      : o.of === 'answers'
        ? await answersBehind(db, o)
        : o.of === 'driver'
          ? await driverBehind(db, o)
          : await topicBehind(db, o);
  const { title, items } = got;
  const times = got.times ?? null;
  const shown = items.slice(0, limit);
  const labels = await customerLabels(db, shown.flatMap((i) => (i.customer === null ? [] : [i.customer])));
  return {
    of: o.of,
    title,
    unit: o.of === 'answers' || o.of === 'driver' ? 'answers' : o.of === 'topic' ? 'comments' : 'journeys',
    total: items.length,
    customers: new Set(items.map((i) => i.customer).filter((c) => c !== null)).size,
    times,
    rows: shown.map((i) => {
      const l = i.customer === null ? undefined : labels.get(i.customer);
      return { customer_key: i.customer, name: l?.name ?? null, phone: l?.phone ?? null, ref: i.ref, ts: iso(i.ts), detail: i.detail };
    }),
  };
}
