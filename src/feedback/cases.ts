/**
 * Closed-loop cases (docs/feedback.md, "Cases"): a relationship NPS detractor or a transaction
 * CSAT of 1–2 opens a case with an owner, a due time, a reason written from the customer's
 * journey and the step most likely at fault. One open case per customer gathers every later
 * answer. Statuses go open → contacted → resolved | closed; resolving or closing needs the
 * confirmed root cause and whether the customer's issue was resolved. Overdue cases escalate.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { customerLabels } from '../identity/labels.ts';
import type { Queryable, Row, SqlDialect, SqlParam } from '../store/store.ts';
import { contextId, describeRootCause, loadContexts } from './context.ts';
import type { CustomerContext } from './context.ts';
import { hiddenAtRiskSql } from './hidden.ts';
import { capitalise, dayWords } from './phrases.ts';

export const CASE_STATUSES = ['open', 'contacted', 'resolved', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
/** Statuses in which a case is still the customer's open case. */
const ACTIVE = `('open', 'contacted')`;

export interface CaseRules {
  /** Hours from the answer to the case's due time. */
  readonly dueHours: number;
  /** Hours from a callback request to the case's due time (never later than the case was due). */
  readonly callbackHours: number;
  /** Owner of cases no rule below assigns. */
  readonly defaultOwner: string;
  /** Where overdue cases escalate. */
  readonly escalateTo: string;
}

export const DEFAULT_CASE_RULES: CaseRules = Object.freeze({ dueHours: 48, callbackHours: 24, defaultOwner: 'cx-team', escalateTo: 'cx-leads' });

/** The answers that open a case: the one definition, used by the import and by surveys alike. */
export function caseTriggerSql(f = 'f'): string {
  return `((${f}.scope = 'relationship' AND ${f}.metric = 'nps' AND ${f}.score <= 6) OR (${f}.scope = 'transaction' AND ${f}.metric = 'csat' AND ${f}.score <= 2))`;
}

export type AnswerSelection = { readonly seqFrom: number; readonly seqTo: number } | { readonly responseIds: readonly string[] };

export interface OpenCasesOptions {
  readonly now: number;
  readonly rules?: Partial<CaseRules>;
  /** Where the answers came from: `import` or `survey`. */
  readonly source: string;
  /** Open a case for every selected answer, not only those the rule picks (a survey's `open_case` action). */
  readonly force?: boolean;
  /** The store's SQL dialect: with it, the root cause follows the broken-steps ranking. */
  readonly sql?: SqlDialect | undefined;
}

export interface OpenCasesResult {
  opened: string[];
  /** Answers added to a case that was already open. */
  attached: number;
}

interface Answer {
  response_id: string;
  ts: number;
  metric: string;
  scope: string;
  score: number;
  comment: string | null;
  survey_id: string;
  customer_key: string;
  event_id: string | null;
  agent_id: string | null;
  channel: string | null;
  event_attrs: string | null;
  team: string | null;
  store: string | null;
}

function selectionSql(sel: AnswerSelection, params: SqlParam[]): string {
  if ('seqFrom' in sel) {
    params.push(sel.seqFrom, sel.seqTo);
    return `f.seq >= $${params.length - 1} AND f.seq < $${params.length}`;
  }
  if (sel.responseIds.length === 0) return 'FALSE';
  const marks = sel.responseIds.map((id) => {
    params.push(id);
    return `$${params.length}`;
  });
  return `f.response_id IN (${marks.join(', ')})`;
}

export function caseIdFor(customerKey: string, firstResponse: string): string {
  return 'CS-' + createHash('sha1').update(`${customerKey}|${firstResponse}`).digest('hex').slice(0, 10).toUpperCase();
}

/**
 * Opens cases for the selected answers that call for one (or all of them with `force`), and
 * adds answers of customers who already have an open case to that case. Safe to run twice: an
 * answer already on a case is left alone.
 */
/** The ids of surveys whose definition says `opens_cases: false`. */
async function surveysOpeningNoCases(db: Queryable): Promise<string[]> {
  const rows = await db.query(`SELECT survey_id, definition FROM surveys ORDER BY survey_id`);
  return rows.filter((r) => (JSON.parse(String(r.definition)) as { opens_cases?: boolean }).opens_cases === false).map((r) => String(r.survey_id));
}

export async function openCasesForAnswers(db: Queryable, sel: AnswerSelection, options: OpenCasesOptions): Promise<OpenCasesResult> {
  const rules = { ...DEFAULT_CASE_RULES, ...options.rules };
  const params: SqlParam[] = [];
  const selection = selectionSql(sel, params);
  // Surveys defined as opening no case (a product-review feed); a survey's own open_case action still does.
  const quiet = options.force === true ? [] : await surveysOpeningNoCases(db);
  const quietSql = quiet.length === 0 ? '' : `AND f.survey_id NOT IN (${quiet.map((id) => (params.push(id), `$${params.length}`)).join(', ')})`;
  const rows = await db.query(
    `SELECT f.response_id, f.ts, f.metric, f.scope, f.score, f.comment, f.survey_id, f.customer_key, f.event_id,
       coalesce(f.agent_id, i.agent_id) AS agent_id, i.channel, i.attrs AS event_attrs, s.team, CASE WHEN s.seq IS NULL THEN s.site END AS store
     FROM feedback f
       LEFT JOIN interactions i ON i.event_id = f.event_id
       LEFT JOIN staff s ON s.staff_id = coalesce(f.agent_id, i.agent_id)
     WHERE ${selection} AND f.score IS NOT NULL AND f.customer_key IS NOT NULL ${quietSql}
       ${options.force === true ? '' : `AND ${caseTriggerSql('f')}`}
       AND NOT EXISTS (SELECT 1 FROM case_responses cr WHERE cr.response_id = f.response_id)
     ORDER BY f.customer_key, f.ts, f.seq`,
    params,
  );
  if (rows.length === 0) return { opened: [], attached: 0 };
  const answers = rows.map(toAnswer);

  const openParams: SqlParam[] = [];
  const openRows = await db.query(
    `SELECT c.case_id, c.customer_key, (SELECT coalesce(max(e.seq), 0) FROM case_events e WHERE e.case_id = c.case_id) AS last_seq
     FROM cases c WHERE c.status IN ${ACTIVE}
       AND c.customer_key IN (SELECT f.customer_key FROM feedback f WHERE ${selectionSql(sel, openParams)})`,
    openParams,
  );
  const openCase = new Map(openRows.map((r) => [String(r.customer_key), { id: String(r.case_id), seq: Number(r.last_seq) }]));

  // Customers without an open case get one, opened by their first answer and gathering the rest.
  const gathered = new Map<string, Answer[]>();
  for (const a of answers) {
    if (openCase.has(a.customer_key)) continue;
    const list = gathered.get(a.customer_key) ?? [];
    list.push(a);
    gathered.set(a.customer_key, list);
  }
  const firsts = [...gathered.values()].map((list) => list[0]!);
  const contexts = await loadContexts(
    db,
    firsts.map((a) => ({ customer_key: a.customer_key, at: a.ts, event_id: a.event_id })),
    options.sql,
  );

  const caseRows: SqlParam[][] = [];
  const links: SqlParam[][] = [];
  const events: SqlParam[][] = [];
  const opened: string[] = [];
  for (const a of firsts) {
    const ctx = contexts.get(contextId({ customer_key: a.customer_key, at: a.ts, event_id: a.event_id }))!;
    const id = caseIdFor(a.customer_key, a.response_id);
    const kind = caseKind(a);
    caseRows.push([
      id, a.customer_key, kind, options.source, 'open', ownerFor(a, rules), reasonFor(gathered.get(a.customer_key)!, ctx), ctx.root?.step ?? null,
      a.ts, a.ts + rules.dueHours * 3600_000, options.now, options.now,
    ]);
    const all = gathered.get(a.customer_key)!;
    events.push([id, 1, a.ts, 'opened', 'throughline', `${all.map(answerWords).join('; ')}; owner ${ownerFor(a, rules)}`]);
    for (const g of all) links.push([id, g.response_id, options.now]);
    opened.push(id);
  }
  let attached = 0;
  for (const a of answers) {
    const c = openCase.get(a.customer_key);
    if (c === undefined) continue;
    links.push([c.id, a.response_id, options.now]);
    c.seq++;
    events.push([c.id, c.seq, a.ts, 'answer_added', 'throughline', answerWords(a)]);
    attached++;
  }
  await db.bulkInsert(
    'cases',
    ['case_id', 'customer_key', 'kind', 'source', 'status', 'owner', 'reason', 'root_cause_step', 'opened_at', 'due_at', 'created_at', 'updated_at'],
    caseRows,
  );
  await db.bulkInsert('case_responses', ['case_id', 'response_id', 'added_at'], links);
  await db.bulkInsert('case_events', ['case_id', 'seq', 'ts', 'kind', 'actor', 'note'], events);
  return { opened, attached };
}

/**
 * After an import re-keys customers (two identifiers found to be one person), a case follows
 * its first answer to the customer that answer now belongs to.
 */
export async function rekeyCases(db: Queryable): Promise<void> {
  await db.exec(`UPDATE cases SET customer_key = k.customer_key FROM (
      SELECT cr.case_id, min(f.customer_key) AS customer_key
      FROM case_responses cr JOIN feedback f ON f.response_id = cr.response_id GROUP BY cr.case_id
    ) k WHERE cases.case_id = k.case_id AND cases.customer_key <> k.customer_key`);
}

function toAnswer(r: Row): Answer {
  const s = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  return {
    response_id: String(r.response_id),
    ts: Number(r.ts),
    metric: String(r.metric),
    scope: String(r.scope),
    score: Number(r.score),
    comment: s(r.comment),
    survey_id: String(r.survey_id),
    customer_key: String(r.customer_key),
    event_id: s(r.event_id),
    agent_id: s(r.agent_id),
    channel: s(r.channel),
    event_attrs: s(r.event_attrs),
    team: s(r.team),
    store: s(r.store),
  };
}

function caseKind(a: Answer): string {
  if (a.scope === 'relationship' && a.metric === 'nps' && a.score <= 6) return 'detractor';
  if (a.scope === 'transaction' && a.metric === 'csat' && a.score <= 2) return 'low_csat';
  return 'survey';
}

const METRIC_NAMES: Readonly<Record<string, string>> = { nps: 'NPS', csat: 'CSAT', ces: 'CES' };

function answerWords(a: Answer): string {
  return `${a.scope} ${METRIC_NAMES[a.metric] ?? a.metric} ${a.score} (${a.survey_id}, ${a.response_id})`;
}

function storeOf(a: Answer): string | null {
  if (a.event_attrs !== null) {
    try {
      const attrs = JSON.parse(a.event_attrs) as Record<string, unknown>;
      for (const k of ['store_id', 'store', 'location_id']) {
        const v = attrs[k];
        if ((typeof v === 'string' && v !== '') || typeof v === 'number') return String(v);
      }
    } catch {
      // Attributes that are not JSON name no store.
    }
  }
  return a.store;
}

/**
 * Who owns a case, by rule: an answer about a store visit goes to that store's team
 * (`store:<id>`, or `stores` when the store is not known); an answer about an employee goes to
 * that employee's team from the staff directory (`team:<team>`), else to the queue of the
 * channel (`queue:call`); anything else goes to the default owner (`cx-team`).
 */
export function ownerFor(a: Pick<Answer, 'channel' | 'agent_id' | 'team' | 'store' | 'event_attrs'>, rules: CaseRules = DEFAULT_CASE_RULES): string {
  const store = storeOf(a as Answer);
  if (a.channel === 'store' || a.store !== null) return store !== null ? `store:${store}` : 'stores';
  if (a.agent_id !== null) {
    if (a.team !== null) return `team:${a.team}`;
    if (a.channel !== null) return `queue:${a.channel}`;
  }
  return rules.defaultOwner;
}

/** "Transaction CSAT 2 on 3 June (post_csat); relationship NPS 2 on 5 June (rel_nps_q). Their payment failed… They wrote: "…"" */
function reasonFor(answers: readonly Answer[], ctx: CustomerContext): string {
  const first = answers[0]!;
  const head = answers
    .slice(0, 4)
    .map((a) => `${a.scope} ${METRIC_NAMES[a.metric] ?? a.metric} ${a.score} on ${dayWords(a.ts, ctx.timezone, first.ts)} (${a.survey_id})`)
    .join('; ');
  const more = answers.length > 4 ? ` and ${answers.length - 4} more answers` : '';
  const story =
    ctx.root === null
      ? 'Nothing failed in their journeys in the 30 days before.'
      : describeRootCause(ctx.root, 'they', ctx.timezone, first.ts).sentence;
  const comments = answers.map((a) => a.comment?.trim() ?? '').filter((c) => c !== '');
  const said = comments.length === 0 ? '' : ` They wrote: ${comments.slice(0, 2).map((c) => `"${truncate(c, 200)}"`).join(' and ')}`;
  return `${capitalise(head)}${more}. ${story}${said}`;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

// ---------------------------------------------------------------------------------------------
// Reading cases

export interface CaseDoc {
  case_id: string;
  customer_key: string;
  /** The customer's name and phone from their profiles, for people reading the inbox; null when none is on file. */
  customer_name: string | null;
  customer_phone: string | null;
  response_ids: string[];
  opened_at: string;
  due_at: string;
  status: CaseStatus;
  owner: string;
  reason: string;
  root_cause_step: string | null;
  hidden_at_risk: boolean;
  kind: string;
  source: string;
  /** Past due and neither resolved nor closed. */
  overdue: boolean;
  /** Where an overdue case is escalated; null while it is not. */
  escalated_to: string | null;
  callback_requested: boolean;
  contacted_at: string | null;
  resolved_at: string | null;
  closed_at: string | null;
  /** The root cause confirmed on resolving or closing. */
  root_cause: string | null;
  /** "Was the issue resolved", answered on resolving or closing. */
  issue_resolved: boolean | null;
}

export interface CaseFilter {
  /** A status, or `escalated` for overdue cases. */
  readonly status?: string | undefined;
  readonly owner?: string | undefined;
  readonly overdue?: boolean | undefined;
  readonly hiddenAtRisk?: boolean | undefined;
  readonly customerKey?: string | undefined;
  readonly caseId?: string | undefined;
  readonly now: number;
  readonly rules?: Partial<CaseRules>;
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());

export async function listCases(db: Queryable, filter: CaseFilter): Promise<CaseDoc[]> {
  const rules = { ...DEFAULT_CASE_RULES, ...filter.rules };
  const params: SqlParam[] = [filter.now];
  const hidden = hiddenAtRiskSql(params);
  const where: string[] = [];
  const add = (sql: string, v: SqlParam): void => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.status !== undefined) {
    if (filter.status === 'escalated' || filter.status === 'overdue') where.push(`c.status IN ${ACTIVE} AND c.due_at < $1`);
    else if ((CASE_STATUSES as readonly string[]).includes(filter.status)) add('c.status = ?', filter.status);
    else throw new AppError('usage', `--status ${filter.status} is not a case status`, { hint: `use ${CASE_STATUSES.join(', ')} or escalated` });
  }
  if (filter.owner !== undefined) add('c.owner = ?', filter.owner);
  if (filter.overdue === true) where.push(`c.status IN ${ACTIVE} AND c.due_at < $1`);
  if (filter.hiddenAtRisk === true) where.push(`h.customer_key IS NOT NULL`);
  if (filter.customerKey !== undefined) add('c.customer_key = ?', filter.customerKey);
  if (filter.caseId !== undefined) add('c.case_id = ?', filter.caseId);
  const rows = await db.query(
    `SELECT c.*, h.customer_key IS NOT NULL AS hidden, c.status IN ${ACTIVE} AND c.due_at < $1 AS overdue
     FROM cases c LEFT JOIN (${hidden}) h ON h.customer_key = c.customer_key
     ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
     ORDER BY CASE WHEN c.status IN ${ACTIVE} THEN 0 ELSE 1 END, c.due_at, c.case_id`,
    params,
  );
  if (rows.length === 0) return [];
  const ids = rows.map((r) => String(r.case_id));
  const links = await db.query(
    `SELECT case_id, response_id FROM case_responses WHERE case_id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY added_at, response_id COLLATE "C"`,
    ids,
  );
  const responses = new Map<string, string[]>();
  for (const l of links) {
    const list = responses.get(String(l.case_id)) ?? [];
    list.push(String(l.response_id));
    responses.set(String(l.case_id), list);
  }
  const labels = await customerLabels(db, rows.map((r) => String(r.customer_key)));
  return rows.map((r) => ({
    case_id: String(r.case_id),
    customer_key: String(r.customer_key),
    customer_name: labels.get(String(r.customer_key))?.name ?? null,
    customer_phone: labels.get(String(r.customer_key))?.phone ?? null,
    response_ids: responses.get(String(r.case_id)) ?? [],
    opened_at: iso(r.opened_at)!,
    due_at: iso(r.due_at)!,
    status: String(r.status) as CaseStatus,
    owner: String(r.owner),
    reason: String(r.reason),
    root_cause_step: r.root_cause_step === null ? null : String(r.root_cause_step),
    hidden_at_risk: r.hidden === true,
    kind: String(r.kind),
    source: String(r.source),
    overdue: r.overdue === true,
    escalated_to: r.overdue === true ? rules.escalateTo : null,
    callback_requested: r.callback_requested_at !== null,
    contacted_at: iso(r.contacted_at),
    resolved_at: iso(r.resolved_at),
    closed_at: iso(r.closed_at),
    root_cause: r.root_cause === null ? null : String(r.root_cause),
    issue_resolved: r.issue_resolved === null ? null : r.issue_resolved === true,
  }));
}

export interface CaseDetail extends CaseDoc {
  answers: { response_id: string; ts: string; survey_id: string; metric: string; scope: string; score: number; comment: string | null }[];
  events: { ts: string; kind: string; actor: string | null; note: string | null }[];
}

export async function showCase(db: Queryable, caseId: string, now: number, rules?: Partial<CaseRules>): Promise<CaseDetail> {
  const [doc] = await listCases(db, { caseId, now, ...(rules ? { rules } : {}) });
  if (doc === undefined) throw new AppError('not_found', `no case ${caseId}`, { hint: 'list cases with: throughline cases' });
  const answers = await db.query(
    `SELECT f.response_id, f.ts, f.survey_id, f.metric, f.scope, f.score, f.comment
     FROM case_responses cr JOIN feedback f ON f.response_id = cr.response_id WHERE cr.case_id = $1 ORDER BY f.ts, f.seq`,
    [caseId],
  );
  const events = await db.query(`SELECT ts, kind, actor, note FROM case_events WHERE case_id = $1 ORDER BY seq`, [caseId]);
  return {
    ...doc,
    answers: answers.map((a) => ({
      response_id: String(a.response_id),
      ts: iso(a.ts)!,
      survey_id: String(a.survey_id),
      metric: String(a.metric),
      scope: String(a.scope),
      score: Number(a.score),
      comment: a.comment === null ? null : String(a.comment),
    })),
    events: events.map((e) => ({ ts: iso(e.ts)!, kind: String(e.kind), actor: e.actor === null ? null : String(e.actor), note: e.note === null ? null : String(e.note) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Working a case

export interface ActionContext {
  readonly now: number;
  readonly actor?: string | undefined;
}

async function loadForUpdate(db: Queryable, caseId: string): Promise<{ status: CaseStatus; seq: number; root_cause_step: string | null }> {
  const [row] = await db.query(
    `SELECT status, root_cause_step, (SELECT coalesce(max(seq), 0) FROM case_events e WHERE e.case_id = c.case_id) AS seq FROM cases c WHERE case_id = $1`,
    [caseId],
  );
  if (row === undefined) throw new AppError('not_found', `no case ${caseId}`, { hint: 'list cases with: throughline cases' });
  return { status: String(row.status) as CaseStatus, seq: Number(row.seq), root_cause_step: row.root_cause_step === null ? null : String(row.root_cause_step) };
}

async function addEvent(db: Queryable, caseId: string, seq: number, kind: string, ctx: ActionContext, note: string | null): Promise<void> {
  await db.exec(`INSERT INTO case_events (case_id, seq, ts, kind, actor, note) VALUES ($1, $2, $3, $4, $5, $6)`, [
    caseId, seq, ctx.now, kind, ctx.actor ?? null, note,
  ]);
}

/** Records a contact with the customer: open → contacted (contacting again is recorded too). */
export async function contactCase(db: Queryable, caseId: string, note: string, ctx: ActionContext): Promise<void> {
  const c = await loadForUpdate(db, caseId);
  if (c.status === 'resolved' || c.status === 'closed') {
    throw new AppError('conflict', `case ${caseId} is ${c.status}; a contact can only be recorded on an open case`);
  }
  if (note.trim() === '') throw new AppError('usage', 'a contact needs a note saying what was said', { hint: 'add --note "..."' });
  await db.exec(`UPDATE cases SET status = 'contacted', contacted_at = coalesce(contacted_at, $2), updated_at = $2 WHERE case_id = $1`, [caseId, ctx.now]);
  await addEvent(db, caseId, c.seq + 1, 'contacted', ctx, note.trim());
}

export interface Resolution {
  /** The confirmed root cause: a step (`channel:activity`) or a short description. */
  readonly rootCause: string | undefined;
  /** Was the customer's issue resolved? */
  readonly issueResolved: boolean | undefined;
  readonly note?: string | undefined;
}

function checkResolution(caseId: string, verb: string, r: Resolution): { rootCause: string; issueResolved: boolean } {
  if (r.rootCause === undefined || r.rootCause.trim() === '') {
    throw new AppError('usage', `case ${caseId} cannot be ${verb} without its root cause`, { hint: 'add --root-cause STEP (e.g. web:pay_bill/submit_payment)' });
  }
  if (r.issueResolved === undefined) {
    throw new AppError('usage', `case ${caseId} cannot be ${verb} without saying whether the issue was resolved`, { hint: 'add --resolved yes or --resolved no' });
  }
  return { rootCause: r.rootCause.trim(), issueResolved: r.issueResolved };
}

/** open | contacted → resolved: the loop is closed with the customer. */
export async function resolveCase(db: Queryable, caseId: string, r: Resolution, ctx: ActionContext): Promise<void> {
  const c = await loadForUpdate(db, caseId);
  if (c.status === 'resolved' || c.status === 'closed') throw new AppError('conflict', `case ${caseId} is already ${c.status}`);
  const v = checkResolution(caseId, 'resolved', r);
  await db.exec(
    `UPDATE cases SET status = 'resolved', resolved_at = $2, updated_at = $2, root_cause = $3, issue_resolved = $4, note = coalesce($5, note) WHERE case_id = $1`,
    [caseId, ctx.now, v.rootCause, v.issueResolved, r.note ?? null],
  );
  await addEvent(db, caseId, c.seq + 1, 'resolved', ctx, `root cause ${v.rootCause}; issue resolved: ${v.issueResolved ? 'yes' : 'no'}${r.note ? `; ${r.note}` : ''}`);
}

/** Any status but closed → closed. A resolved case keeps its resolution unless new values are given. */
export async function closeCase(db: Queryable, caseId: string, r: Resolution, ctx: ActionContext): Promise<void> {
  const c = await loadForUpdate(db, caseId);
  if (c.status === 'closed') throw new AppError('conflict', `case ${caseId} is already closed`);
  let resolution = r;
  if (c.status === 'resolved') {
    const [prev] = await db.query(`SELECT root_cause, issue_resolved FROM cases WHERE case_id = $1`, [caseId]);
    resolution = {
      rootCause: r.rootCause ?? (prev?.root_cause as string | null) ?? undefined,
      issueResolved: r.issueResolved ?? (prev?.issue_resolved as boolean | null) ?? undefined,
      note: r.note,
    };
  }
  const v = checkResolution(caseId, 'closed', resolution);
  await db.exec(
    `UPDATE cases SET status = 'closed', closed_at = $2, updated_at = $2, root_cause = $3, issue_resolved = $4, note = coalesce($5, note) WHERE case_id = $1`,
    [caseId, ctx.now, v.rootCause, v.issueResolved, r.note ?? null],
  );
  await addEvent(db, caseId, c.seq + 1, 'closed', ctx, `root cause ${v.rootCause}; issue resolved: ${v.issueResolved ? 'yes' : 'no'}${r.note ? `; ${r.note}` : ''}`);
}

/**
 * The customer accepted a callback: their open case is marked for a call and brought forward
 * to the callback due time; without one, a callback case is opened for the answer.
 */
export async function requestCallback(
  db: Queryable,
  request: { customerKey: string; responseId: string | null; note: string | null; dueAt?: number },
  ctx: ActionContext & { rules?: Partial<CaseRules>; sql?: SqlDialect },
): Promise<string> {
  const rules = { ...DEFAULT_CASE_RULES, ...ctx.rules };
  // The time promised to the customer (outside their quiet hours), else the rule's.
  const due = request.dueAt ?? ctx.now + rules.callbackHours * 3600_000;
  const [open] = await db.query(
    `SELECT case_id, (SELECT coalesce(max(seq), 0) FROM case_events e WHERE e.case_id = c.case_id) AS seq
     FROM cases c WHERE customer_key = $1 AND status IN ${ACTIVE} ORDER BY opened_at LIMIT 1`,
    [request.customerKey],
  );
  let caseId: string;
  let seq: number;
  if (open !== undefined) {
    caseId = String(open.case_id);
    seq = Number(open.seq);
  } else {
    if (request.responseId !== null) {
      await openCasesForAnswers(db, { responseIds: [request.responseId] }, { now: ctx.now, source: 'survey', force: true, sql: ctx.sql, ...(ctx.rules ? { rules: ctx.rules } : {}) });
    }
    const [made] = await db.query(`SELECT case_id FROM cases WHERE customer_key = $1 AND status IN ${ACTIVE} ORDER BY opened_at LIMIT 1`, [request.customerKey]);
    if (made === undefined) throw new AppError('internal', `could not open a callback case for ${request.customerKey}`);
    caseId = String(made.case_id);
    seq = 1;
  }
  await db.exec(
    `UPDATE cases SET kind = CASE WHEN kind = 'survey' THEN 'callback' ELSE kind END, callback_requested_at = coalesce(callback_requested_at, $2),
       due_at = CASE WHEN due_at > $3 THEN $3 ELSE due_at END, updated_at = $2 WHERE case_id = $1`,
    [caseId, ctx.now, due],
  );
  await addEvent(db, caseId, seq + 1, 'callback_requested', ctx, request.note);
  return caseId;
}

// ---------------------------------------------------------------------------------------------
// The outer loop

export interface RollupRow {
  /** The confirmed root cause of resolved and closed cases, else the step predicted at opening. */
  root_cause_step: string | null;
  cases: number;
  customers: number;
  open: number;
  contacted: number;
  overdue: number;
  resolved: number;
  closed: number;
  /** Cases whose root cause a person confirmed. */
  confirmed: number;
  /** Share of resolved or closed cases whose issue was resolved; null before any. */
  issue_resolved_rate: number | null;
  hidden_at_risk: number;
}

export async function caseRollup(db: Queryable, now: number): Promise<RollupRow[]> {
  const params: SqlParam[] = [now];
  const hidden = hiddenAtRiskSql(params);
  const rows = await db.query(
    `SELECT coalesce(c.root_cause, c.root_cause_step) AS step, count(*) AS cases, count(DISTINCT c.customer_key) AS customers,
       sum(CASE WHEN c.status = 'open' THEN 1 ELSE 0 END) AS open,
       sum(CASE WHEN c.status = 'contacted' THEN 1 ELSE 0 END) AS contacted,
       sum(CASE WHEN c.status IN ${ACTIVE} AND c.due_at < $1 THEN 1 ELSE 0 END) AS overdue,
       sum(CASE WHEN c.status = 'resolved' THEN 1 ELSE 0 END) AS resolved,
       sum(CASE WHEN c.status = 'closed' THEN 1 ELSE 0 END) AS closed,
       sum(CASE WHEN c.root_cause IS NOT NULL THEN 1 ELSE 0 END) AS confirmed,
       sum(CASE WHEN c.issue_resolved IS NOT NULL THEN 1 ELSE 0 END) AS answered,
       sum(CASE WHEN c.issue_resolved THEN 1 ELSE 0 END) AS fixed,
       sum(CASE WHEN h.customer_key IS NOT NULL THEN 1 ELSE 0 END) AS hidden
     FROM cases c LEFT JOIN (${hidden}) h ON h.customer_key = c.customer_key
     GROUP BY coalesce(c.root_cause, c.root_cause_step)`,
    params,
  );
  return rows
    .map((r) => ({
      root_cause_step: r.step === null ? null : String(r.step),
      cases: Number(r.cases),
      customers: Number(r.customers),
      open: Number(r.open),
      contacted: Number(r.contacted),
      overdue: Number(r.overdue),
      resolved: Number(r.resolved),
      closed: Number(r.closed),
      confirmed: Number(r.confirmed),
      issue_resolved_rate: Number(r.answered) === 0 ? null : Number(r.fixed) / Number(r.answered),
      hidden_at_risk: Number(r.hidden),
    }))
    .sort((a, b) => b.cases - a.cases || (a.root_cause_step === null ? 1 : b.root_cause_step === null ? -1 : a.root_cause_step < b.root_cause_step ? -1 : 1));
}
