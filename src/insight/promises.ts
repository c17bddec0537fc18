/**
 * Promises (docs/attribution.md, "Promises"): what employees committed to, and whether the
 * company kept it. A promise is `kept` when `kept_at` is on or before `due`, `kept_late` when
 * after, `broken` when `due` has passed with no `kept_at` (spec/DATA.md; the customer context
 * calls the same state "overdue"), and `open` while it is not yet due. A broken promise opens a
 * closed-loop case (syncPromiseCases), once.
 */
import { createHash } from 'node:crypto';
import type { Queryable, SqlParam } from '../store/store.ts';
import { DAY_MS, round } from './contacts.ts';

export const PROMISE_STATES = ['kept', 'kept_late', 'broken', 'open'] as const;
export type PromiseStatus = (typeof PROMISE_STATES)[number];

/**
 * The state of the promise aliased `p` at the instant `$n` (a placeholder). A `kept_at` after
 * that instant has not happened yet, so the promise is still open or broken then.
 */
export function promiseStateSql(p: string, now: string): string {
  return `CASE
    WHEN ${p}.kept_at IS NOT NULL AND ${p}.kept_at <= ${now} THEN CASE WHEN ${p}.kept_at <= ${p}.due THEN 'kept' ELSE 'kept_late' END
    WHEN ${p}.due < ${now} THEN 'broken'
    ELSE 'open' END`;
}

/**
 * `promiseStateSql`'s rule for one promise held in memory (the live context's cache of a
 * customer's rows). promises.integration.test.ts checks the two agree on every boundary.
 */
export function promiseStateAt(p: { readonly due: number; readonly kept_at: number | null }, now: number): PromiseStatus {
  if (p.kept_at !== null && p.kept_at <= now) return p.kept_at <= p.due ? 'kept' : 'kept_late';
  return p.due < now ? 'broken' : 'open';
}

export interface PromiseTally {
  promises: number;
  kept: number;
  kept_late: number;
  broken: number;
  open: number;
  /** kept / (kept + kept_late + broken): of the promises settled or past due, the share kept on time; null with none. */
  kept_rate: number | null;
}

export interface PromiseItem {
  promise_id: string;
  customer_key: string | null;
  kind: string;
  agent_id: string | null;
  event_id: string | null;
  description: string | null;
  made_at: string;
  due_at: string;
}

export interface BrokenPromise extends PromiseItem {
  days_overdue: number;
  /** The closed-loop case the promise opened (or joined); null until syncPromiseCases has run. */
  case_id: string | null;
}

export interface PromisesDoc {
  /** Of the promises settled or past due, the share kept on time (totals.kept_rate). */
  kept_rate: number | null;
  as_of: string;
  /** Every promise made by `as_of`, by state. */
  totals: PromiseTally;
  /** Broken promises still unkept: `broken.length`, under the name the customer context uses. */
  overdue: number;
  by_agent: (PromiseTally & { agent_id: string | null })[];
  by_kind: (PromiseTally & { kind: string })[];
  /** Not yet due, soonest first. */
  open: PromiseItem[];
  /** Past due and unkept, longest overdue first. */
  broken: BrokenPromise[];
}

export interface PromisesOptions {
  /** The instant states are judged at (epoch ms); default now. Promises made later are left out. */
  readonly now?: number | undefined;
}

function tally(r: Record<string, unknown>): PromiseTally {
  const kept = Number(r.kept ?? 0);
  const late = Number(r.kept_late ?? 0);
  const broken = Number(r.broken ?? 0);
  const settled = kept + late + broken;
  return {
    promises: Number(r.promises ?? 0),
    kept,
    kept_late: late,
    broken,
    open: Number(r.open ?? 0),
    kept_rate: settled === 0 ? null : round(kept / settled, 4),
  };
}

const iso = (v: unknown): string => new Date(Number(v)).toISOString();
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function item(r: Record<string, unknown>): PromiseItem {
  return {
    promise_id: String(r.promise_id),
    customer_key: str(r.customer_key),
    kind: String(r.kind),
    agent_id: str(r.agent_id),
    event_id: str(r.event_id),
    description: str(r.description),
    made_at: iso(r.ts),
    due_at: iso(r.due),
  };
}

/**
 * The `promises` document of spec/CLI.md (and `/api/v1/promises`).
 *
 * @example
 * const doc = await promisesReport(store, { now: Date.now() });
 * doc.kept_rate; // 0.82
 * doc.by_kind.find((k) => k.kind === 'credit')?.broken; // 97
 */
export async function promisesReport(db: Queryable, options: PromisesOptions = {}): Promise<PromisesDoc> {
  const now = options.now ?? Date.now();
  const params: SqlParam[] = [now];
  const state = promiseStateSql('p', '$1');
  const counts = (key: string | null): string => `SELECT ${key === null ? '' : `${key}, `}count(*) AS promises,
      ${PROMISE_STATES.map((st) => `sum(CASE WHEN st = '${st}' THEN 1 ELSE 0 END) AS ${st}`).join(', ')}
    FROM (SELECT p.*, ${state} AS st FROM promises p WHERE p.ts <= $1) s${key === null ? '' : ` GROUP BY ${key}`}`;
  const [all] = await db.query(counts(null), params);
  const byAgent = await db.query(`${counts('agent_id')} ORDER BY agent_id COLLATE "C"`, params);
  const byKind = await db.query(`${counts('kind')} ORDER BY kind COLLATE "C"`, params);
  const open = await db.query(`SELECT p.* FROM promises p WHERE p.ts <= $1 AND ${state} = 'open' ORDER BY p.due, p.promise_id COLLATE "C"`, params);
  const broken = await db.query(
    `SELECT p.*, pc.case_id FROM promises p LEFT JOIN promise_cases pc ON pc.promise_id = p.promise_id
     WHERE p.ts <= $1 AND ${state} = 'broken' ORDER BY p.due, p.promise_id COLLATE "C"`,
    params,
  );
  const overall = tally(all ?? {});
  const brokenItems = broken.map((r) => ({
    ...item(r),
    days_overdue: Math.floor((now - Number(r.due)) / DAY_MS),
    case_id: str(r.case_id),
  }));
  return {
    kept_rate: overall.kept_rate,
    as_of: new Date(now).toISOString(),
    totals: overall,
    overdue: brokenItems.length,
    by_agent: byAgent
      .map((r) => ({ agent_id: str(r.agent_id), ...tally(r) }))
      .sort((a, b) => b.broken - a.broken || b.promises - a.promises || String(a.agent_id).localeCompare(String(b.agent_id))),
    by_kind: byKind.map((r) => ({ kind: String(r.kind), ...tally(r) })).sort((a, b) => b.broken - a.broken || b.promises - a.promises || a.kind.localeCompare(b.kind)),
    open: open.map(item),
    broken: brokenItems,
  };
}

// ---------------------------------------------------------------------------------------------
// Closed loop

/** What a case opener is told about a broken promise. */
export interface BrokenPromiseCase {
  readonly promise_id: string;
  readonly customer_key: string;
  readonly kind: string;
  readonly agent_id: string | null;
  readonly description: string | null;
  readonly made_at: number;
  readonly due: number;
  /** `channel:activity` of the contact where the promise was made, when known. */
  readonly step: string | null;
}

/**
 * Opens (or joins) a closed-loop case for a broken promise and returns its id. The feedback loop
 * owns cases; until it exports an opener for causes other than survey answers, `openPromiseCase`
 * below writes one in its tables.
 */
export type PromiseCaseOpener = (db: Queryable, p: BrokenPromiseCase, now: number) => Promise<string>;

/** Hours from the broken promise being noticed to its case's due time, as for answer cases. */
export const PROMISE_CASE_DUE_HOURS = 48;

const CASE_COLUMNS = ['case_id', 'customer_key', 'kind', 'source', 'status', 'owner', 'reason', 'root_cause_step', 'opened_at', 'due_at', 'created_at', 'updated_at'];

/**
 * The default opener: one open case per customer, as the feedback loop keeps them. A customer
 * with an open case gets a `promise_broken` event on it; otherwise a `broken_promise` case opens,
 * owned by the promising employee's team (staff directory) or the CX team, due in 48 hours.
 */
export const openPromiseCase: PromiseCaseOpener = async (db, p, now) => {
  const words = `${p.kind} promise ${p.promise_id}${p.description ? ` ("${p.description}")` : ''} made ${iso(p.made_at).slice(0, 10)}${
    p.agent_id ? ` by ${p.agent_id}` : ''
  } was due ${iso(p.due).slice(0, 10)} and is not kept`;
  const [open] = await db.query(
    `SELECT c.case_id, (SELECT coalesce(max(e.seq), 0) FROM case_events e WHERE e.case_id = c.case_id) AS seq
     FROM cases c WHERE c.customer_key = $1 AND c.status IN ('open', 'contacted') ORDER BY c.opened_at, c.case_id LIMIT 1`,
    [p.customer_key],
  );
  if (open !== undefined) {
    await db.exec(`INSERT INTO case_events (case_id, seq, ts, kind, actor, note) VALUES ($1, $2, $3, $4, $5, $6)`, [
      String(open.case_id), Number(open.seq) + 1, now, 'promise_broken', 'throughline', `The ${words}.`,
    ]);
    return String(open.case_id);
  }
  const [staff] = p.agent_id === null ? [] : await db.query(`SELECT team FROM staff WHERE staff_id = $1`, [p.agent_id]);
  const owner = staff?.team ? `team:${String(staff.team)}` : 'cx-team';
  const caseId = 'CS-' + createHash('sha1').update(`${p.customer_key}|${p.promise_id}`).digest('hex').slice(0, 10).toUpperCase();
  const reason = `A ${words}. Keep it, or call the customer to say when it will be kept.`;
  await db.bulkInsert('cases', CASE_COLUMNS, [
    [caseId, p.customer_key, 'broken_promise', 'promise', 'open', owner, reason, p.step, now, now + PROMISE_CASE_DUE_HOURS * 3600_000, now, now],
  ]);
  await db.bulkInsert('case_events', ['case_id', 'seq', 'ts', 'kind', 'actor', 'note'], [[caseId, 1, now, 'opened', 'throughline', `The ${words}; owner ${owner}`]]);
  return caseId;
};

/** Promises aliased `p` broken by `$1` whose case is not opened yet. */
const WITHOUT_CASE_SQL = `p.customer_key IS NOT NULL AND p.ts <= $1 AND ${promiseStateSql('p', '$1')} = 'broken'
       AND NOT EXISTS (SELECT 1 FROM promise_cases pc WHERE pc.promise_id = p.promise_id)`;

/** Whether syncPromiseCases has anything to do at `now`: a cheap read that needs no write transaction. */
export async function promiseCasesPending(db: Queryable, now: number): Promise<boolean> {
  const [row] = await db.query(`SELECT 1 AS x FROM promises p WHERE ${WITHOUT_CASE_SQL} LIMIT 1`, [now]);
  return row !== undefined;
}

/**
 * Opens a case for every promise broken by `now` that has none yet, and remembers which case it
 * went to (table promise_cases), so running it again opens nothing twice. Call it after an import
 * and before listing cases. Returns the promise ids that got a case.
 */
export async function syncPromiseCases(db: Queryable, options: { now: number; openCase?: PromiseCaseOpener }): Promise<string[]> {
  const open = options.openCase ?? openPromiseCase;
  const rows = await db.query(
    `SELECT p.promise_id, p.customer_key, p.kind, p.agent_id, p.description, p.ts, p.due,
       i.channel || ':' || i.activity AS step
     FROM promises p LEFT JOIN interactions i ON i.event_id = p.event_id
     WHERE ${WITHOUT_CASE_SQL}
     ORDER BY p.due, p.promise_id COLLATE "C"`,
    [options.now],
  );
  const done: string[] = [];
  for (const r of rows) {
    const p: BrokenPromiseCase = {
      promise_id: String(r.promise_id),
      customer_key: String(r.customer_key),
      kind: String(r.kind),
      agent_id: str(r.agent_id),
      description: str(r.description),
      made_at: Number(r.ts),
      due: Number(r.due),
      step: str(r.step),
    };
    const caseId = await open(db, p, options.now);
    await db.exec(`INSERT INTO promise_cases (promise_id, case_id, opened_at) VALUES ($1, $2, $3)`, [p.promise_id, caseId, options.now]);
    done.push(p.promise_id);
  }
  return done;
}
