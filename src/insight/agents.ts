/**
 * Fair agent scores (docs/attribution.md): each employee's CSAT adjusted for the friction they
 * inherited, so that the senior agent who takes the escalations is not ranked below the one who
 * takes the easy calls. A linear mixed model of every transaction CSAT answer about an employee
 * on the friction of the contact it rates, with a random intercept per employee:
 *
 *   csat = β₀ + β·friction + u[employee] + ε,   u ~ N(0, τ²), ε ~ N(0, σ²)
 *
 * The adjusted CSAT is β₀ + β·(average friction) + u: what the employee would score on an
 * average contact. u is shrunk towards 0 by τ²/(τ² + σ²/n), so five lucky answers do not top the
 * board. SQL extracts one row per contact and per answer; the model is fitted here.
 */
import { AppError } from '../core/errors.ts';
import type { Queryable, SqlParam } from '../store/store.ts';
import { contactsSql, employeeKind, round, toContact } from './contacts.ts';
import type { Contact } from './contacts.ts';
import { descendingRanks, fitMixedLinear, quadForm, Z95 } from './stats.ts';
import type { MixedFit } from './stats.ts';

/** Waits longer than this add no more friction: one outlier wait must not steer the fit. */
export const WAIT_CAP_MINUTES = 10;
/** The friction covariates of the model, in column order after the intercept. */
export const FRICTION_TERMS = [
  { key: 'earlier_failure', words: 'an earlier step of the journey had failed' },
  { key: 'more_failures', words: 'each further earlier failure (up to 2 more)' },
  { key: 'transferred_in', words: 'handed over by a transfer' },
  { key: 'repeat_contact', words: 'the customer had tried the same thing on an earlier day' },
  { key: 'overdue_promise', words: 'a promise to the customer was already overdue' },
  { key: 'wait_minutes', words: 'each minute of waiting (up to 10)' },
] as const;
export type FrictionTerm = (typeof FRICTION_TERMS)[number]['key'];

/** What an employee and a team are scored on alike. */
interface Score {
  /** Contacts handled (for an employee: the first step of each of their turns in a journey). */
  contacts: number;
  /** Transaction CSAT answers about them. */
  responses: number;
  /** Mean of those answers, 1–5. */
  raw_csat: number;
  /** Predicted mean CSAT (1–5) on a contact with the average friction, shrunk for small n. */
  adjusted_csat: number;
  ci95: [number, number];
  /** CSAT points the friction of their contacts costs on average, by the model. */
  inherited_friction: number;
  /** Share of their contacts that inherited any friction. */
  friction_share: number;
  rank_raw: number;
  rank_adjusted: number;
}

export interface AgentScore extends Score {
  agent_id: string;
  /** `agent` (call, chat, …) or `store` (store staff): where most of their contacts were. */
  kind: 'agent' | 'store';
  team: string;
}

export interface TeamScore extends Score {
  team: string;
  agents: number;
}

export interface AgentModel {
  /** Answers the model was fitted on. */
  answers: number;
  employees: number;
  /** β₀ and the friction coefficients in CSAT points, with 95% intervals. */
  coefficients: { term: 'intercept' | FrictionTerm; estimate: number; ci95: [number, number] }[];
  /** Spread of true employee differences (τ) and of single answers around them (σ), in CSAT points. */
  employee_sd: number;
  residual_sd: number;
  /** The friction of the average answered contact, at which adjusted CSAT is predicted. */
  average_friction: Record<FrictionTerm, number>;
}

export interface AgentsOptions {
  /** Epoch ms, inclusive: answers and contacts from then on. */
  readonly from?: number | undefined;
  /** Epoch ms, exclusive. */
  readonly to?: number | undefined;
}

export interface AgentsAnalysis {
  agents: AgentScore[];
  teams: TeamScore[];
  model: AgentModel | null;
}

/** The model's covariates for one contact; the intercept comes first. */
export function frictionRow(c: Pick<Contact, 'failed_before' | 'transferred_in' | 'repeat_contact' | 'overdue_promises' | 'wait_s'> | null): number[] {
  if (c === null) return [1, 0, 0, 0, 0, 0, 0];
  return [
    1,
    c.failed_before > 0 ? 1 : 0,
    Math.min(Math.max(c.failed_before - 1, 0), 2),
    c.transferred_in ? 1 : 0,
    c.repeat_contact ? 1 : 0,
    c.overdue_promises > 0 ? 1 : 0,
    Math.min((c.wait_s ?? 0) / 60, WAIT_CAP_MINUTES),
  ];
}

const hasFriction = (row: readonly number[]): boolean => row[1]! > 0 || row[3]! > 0 || row[4]! > 0 || row[5]! > 0;

interface Answer {
  response_id: string;
  ts: number;
  score: number;
  customer_key: string | null;
  agent_id: string;
  journey_id: string | null;
  step_no: number | null;
}

function timeConditions(column: string, options: AgentsOptions, params: SqlParam[]): string {
  const out: string[] = [];
  if (options.from !== undefined) {
    params.push(options.from);
    out.push(`${column} >= $${params.length}`);
  }
  if (options.to !== undefined) {
    params.push(options.to);
    out.push(`${column} < $${params.length}`);
  }
  return out.length === 0 ? 'TRUE' : out.join(' AND ');
}

/**
 * The contact an answer rates: by its event, the employee's turn that event belongs to; without
 * an event, the employee's latest contact with that customer before the answer (within 7 days).
 */
function matchContacts(answers: readonly Answer[], contacts: readonly Contact[]): (Contact | null)[] {
  const byJourney = new Map<string, Contact[]>();
  const byCustomer = new Map<string, Contact[]>();
  for (const c of contacts) {
    const j = `${c.journey_id}\u0000${c.agent_id}`;
    (byJourney.get(j) ?? byJourney.set(j, []).get(j)!).push(c);
    const k = `${c.customer_key}\u0000${c.agent_id}`;
    (byCustomer.get(k) ?? byCustomer.set(k, []).get(k)!).push(c);
  }
  const week = 7 * 24 * 3600 * 1000;
  return answers.map((a) => {
    if (a.journey_id !== null && a.step_no !== null) {
      let best: Contact | null = null;
      for (const c of byJourney.get(`${a.journey_id}\u0000${a.agent_id}`) ?? []) {
        if (c.step_no <= a.step_no && (best === null || c.step_no > best.step_no)) best = c;
      }
      if (best !== null) return best;
    }
    if (a.customer_key === null) return null;
    let best: Contact | null = null;
    for (const c of byCustomer.get(`${a.customer_key}\u0000${a.agent_id}`) ?? []) {
      if (c.ts <= a.ts && c.ts >= a.ts - week && (best === null || c.ts > best.ts)) best = c;
    }
    return best;
  });
}

/** Team of each employee: the staff directory, else a `team` attribute on their interactions, else their id's prefix. */
async function teamsOf(db: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of await db.query(`SELECT staff_id, team FROM staff WHERE team IS NOT NULL AND team <> ''`)) {
    out.set(String(r.staff_id), String(r.team));
  }
  const attrRows = await db.query(
    `SELECT agent_id, min(attrs) AS attrs FROM interactions WHERE agent_id IS NOT NULL AND attrs LIKE '%"team"%' GROUP BY agent_id`,
  );
  for (const r of attrRows) {
    const id = String(r.agent_id);
    if (out.has(id)) continue;
    try {
      const team = (JSON.parse(String(r.attrs)) as Record<string, unknown>).team;
      if ((typeof team === 'string' && team !== '') || typeof team === 'number') out.set(id, String(team));
    } catch {
      // Attributes that are not JSON name no team.
    }
  }
  for (const id of ids) if (!out.has(id)) out.set(id, /^[A-Za-z]+/.exec(id)?.[0]?.toUpperCase() ?? 'unassigned');
  return out;
}

function interval(mean: number, variance: number): [number, number] {
  const half = Z95 * Math.sqrt(Math.max(variance, 0));
  return [round(Math.max(1, mean - half)), round(Math.min(5, mean + half))];
}

/**
 * Fits the model and scores every employee with transaction CSAT answers about them (by the
 * answer's `agent_id`, or the agent of the interaction its `event_id` names), and every team.
 *
 * @example
 * const { agents, model } = await agentsAnalysis(store, {});
 * agents[0]; // { agent_id: 'AG-12', raw_csat: 3.62, adjusted_csat: 4.21, rank_raw: 17, rank_adjusted: 1, ... }
 */
export async function agentsAnalysis(db: Queryable, options: AgentsOptions = {}): Promise<AgentsAnalysis> {
  if (options.from !== undefined && options.to !== undefined && options.from >= options.to) {
    throw new AppError('usage', 'the start of the period is not before its end');
  }
  const cParams: SqlParam[] = [];
  const contactRows = await db.query(`SELECT * FROM (${contactsSql()}) k WHERE ${timeConditions('k.ts', options, cParams)}`, cParams);
  const contacts = contactRows.map(toContact);
  const aParams: SqlParam[] = [];
  const answerRows = await db.query(
    `SELECT f.response_id, f.ts, f.score, f.customer_key, coalesce(f.agent_id, i.agent_id) AS agent_id, i.journey_id, i.step_no
     FROM feedback f LEFT JOIN interactions i ON i.event_id = f.event_id
     WHERE f.metric = 'csat' AND f.scope = 'transaction' AND f.score IS NOT NULL
       AND coalesce(f.agent_id, i.agent_id) IS NOT NULL AND ${timeConditions('f.ts', options, aParams)}
     ORDER BY f.ts, f.seq`,
    aParams,
  );
  const answers: Answer[] = answerRows.map((r) => ({
    response_id: String(r.response_id),
    ts: Number(r.ts),
    score: Number(r.score),
    customer_key: r.customer_key === null ? null : String(r.customer_key),
    agent_id: String(r.agent_id),
    journey_id: r.journey_id === null ? null : String(r.journey_id),
    step_no: r.step_no === null ? null : Number(r.step_no),
  }));
  if (answers.length === 0) return { agents: [], teams: [], model: null };

  const ids = [...new Set(answers.map((a) => a.agent_id))].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const matched = matchContacts(answers, contacts);
  const x = matched.map(frictionRow);
  const y = answers.map((a) => a.score);
  const groups = answers.map((a) => index.get(a.agent_id)!);
  const p = x[0]!.length;
  // With too few answers for the friction terms, the model keeps its intercept and shrinkage only.
  const usable = answers.length > p + 2 && ids.length > 1;
  const design = usable ? x : x.map((row) => row.slice(0, 1));
  // The tiny ridge only matters for a friction term no answered contact had: its effect stays 0.
  const fit: MixedFit | null = answers.length > 1 && ids.length > 1 ? fitMixedLinear(y, design, groups, ids.length, { fixedRidge: 1e-6 * answers.length }) : null;
  const beta = fit === null ? [y.reduce((s, v) => s + v, 0) / y.length] : fit.beta;
  const k = beta.length;
  const xbar = new Array<number>(k).fill(0);
  for (const row of design) for (let j = 0; j < k; j++) xbar[j]! += row[j]! / design.length;
  const frictionCost = (row: readonly number[]): number => {
    let s = 0;
    for (let j = 1; j < k; j++) s -= beta[j]! * row[j]!;
    return s;
  };

  const perAgent = ids.map((id) => ({
    id,
    scores: [] as number[],
    contacts: 0,
    store: 0,
    withFriction: 0,
    friction: 0,
  }));
  answers.forEach((a, i) => perAgent[groups[i]!]!.scores.push(a.score));
  for (const c of contacts) {
    const g = index.get(c.agent_id);
    if (g === undefined) continue;
    const a = perAgent[g]!;
    const row = frictionRow(c);
    a.contacts++;
    if (c.channel === 'store') a.store++;
    if (hasFriction(row)) a.withFriction++;
    a.friction += frictionCost(row);
  }
  // Employees with answers but no contact on record inherit the friction of their answered contacts.
  answers.forEach((_, i) => {
    const a = perAgent[groups[i]!]!;
    if (a.contacts === 0) a.friction += frictionCost(design[i]!) / a.scores.length;
  });

  const m = k + ids.length;
  const predict = (weights: readonly number[]): { mean: number; variance: number } => {
    // weights: one per employee, summing to 1; the prediction is β·x̄ + Σ w·u.
    const v = new Array<number>(m).fill(0);
    for (let j = 0; j < k; j++) v[j] = xbar[j]!;
    weights.forEach((w, g) => (v[k + g] = w));
    const mean = fit === null ? beta[0]! : v.reduce((s, vi, i) => s + vi * (i < k ? fit.beta[i]! : fit.u[i - k]!), 0);
    const variance = fit === null ? Number.POSITIVE_INFINITY : quadForm(fit.cov, v);
    return { mean, variance };
  };
  const teams = await teamsOf(db, ids);

  const rows = perAgent.map((a, g) => {
    const w = new Array<number>(ids.length).fill(0);
    w[g] = 1;
    const pred = predict(w);
    const raw = a.scores.reduce((s, v) => s + v, 0) / a.scores.length;
    return {
      agent_id: a.id,
      kind: employeeKind(a.store, a.contacts),
      team: teams.get(a.id)!,
      contacts: a.contacts,
      responses: a.scores.length,
      raw_csat: round(raw),
      adjusted_csat: round(Math.min(5, Math.max(1, pred.mean))),
      ci95: interval(pred.mean, pred.variance),
      inherited_friction: round(a.contacts === 0 ? a.friction : a.friction / a.contacts),
      friction_share: round(a.contacts === 0 ? 0 : a.withFriction / a.contacts),
      rank_raw: 0,
      rank_adjusted: 0,
      _exact: pred.mean,
      _raw: raw,
    };
  });
  const rawRanks = descendingRanks(rows.map((r) => r._raw));
  const adjRanks = descendingRanks(rows.map((r) => r._exact));
  const agents: AgentScore[] = rows
    .map(({ _exact, _raw, ...r }, i) => ({ ...r, rank_raw: rawRanks[i]!, rank_adjusted: adjRanks[i]! }))
    .sort((a, b) => a.rank_adjusted - b.rank_adjusted || a.rank_raw - b.rank_raw || (a.agent_id < b.agent_id ? -1 : 1));

  // Teams: the answer-weighted average of their members' effects, with its own interval.
  const teamNames = [...new Set(rows.map((r) => r.team))].sort();
  const teamRows = teamNames.map((team) => {
    const members = rows.map((r, g) => ({ r, g, a: perAgent[g]! })).filter((m) => m.r.team === team);
    const responses = members.reduce((s, m) => s + m.a.scores.length, 0);
    const contactsN = members.reduce((s, m) => s + m.a.contacts, 0);
    const w = new Array<number>(ids.length).fill(0);
    for (const mm of members) w[mm.g] = mm.a.scores.length / responses;
    const pred = predict(w);
    const raw = members.reduce((s, mm) => s + mm.a.scores.reduce((t, v) => t + v, 0), 0) / responses;
    const friction = members.reduce((s, mm) => s + (mm.a.contacts === 0 ? 0 : mm.a.friction), 0);
    const withFriction = members.reduce((s, mm) => s + mm.a.withFriction, 0);
    return {
      team,
      agents: members.length,
      contacts: contactsN,
      responses,
      raw_csat: round(raw),
      adjusted_csat: round(Math.min(5, Math.max(1, pred.mean))),
      ci95: interval(pred.mean, pred.variance),
      inherited_friction: round(contactsN === 0 ? 0 : friction / contactsN),
      friction_share: round(contactsN === 0 ? 0 : withFriction / contactsN),
      _exact: pred.mean,
      _raw: raw,
    };
  });
  const teamRaw = descendingRanks(teamRows.map((t) => t._raw));
  const teamAdj = descendingRanks(teamRows.map((t) => t._exact));
  const teamsOut: TeamScore[] = teamRows
    .map(({ _exact, _raw, ...t }, i) => ({ ...t, rank_raw: teamRaw[i]!, rank_adjusted: teamAdj[i]! }))
    .sort((a, b) => a.rank_adjusted - b.rank_adjusted || (a.team < b.team ? -1 : 1));

  let model: AgentModel | null = null;
  if (fit !== null) {
    const names: ('intercept' | FrictionTerm)[] = ['intercept', ...FRICTION_TERMS.map((t) => t.key)].slice(0, k) as ('intercept' | FrictionTerm)[];
    const average = Object.fromEntries(FRICTION_TERMS.map((t, j) => [t.key, round(j + 1 < k ? xbar[j + 1]! : 0)])) as Record<FrictionTerm, number>;
    // A term no answered contact had cannot be estimated, and is left out of the summary.
    const varies = names.map((_, j) => j === 0 || design.some((r) => r[j] !== design[0]![j]));
    model = {
      answers: answers.length,
      employees: ids.length,
      coefficients: names.flatMap((term, j) => {
        if (!varies[j]) return [];
        const se = Math.sqrt(fit.cov[j]![j]!);
        return [{ term, estimate: round(fit.beta[j]!), ci95: [round(fit.beta[j]! - Z95 * se), round(fit.beta[j]! + Z95 * se)] as [number, number] }];
      }),
      employee_sd: round(Math.sqrt(fit.tau2)),
      residual_sd: round(Math.sqrt(fit.sigma2)),
      average_friction: average,
    };
  }
  return { agents, teams: teamsOut, model };
}

export interface AgentsReportOptions extends AgentsOptions {
  /** `team` for team roll-ups instead of individuals. */
  readonly by?: 'agent' | 'team' | undefined;
}

/** The `agents` document of spec/CLI.md (and `/api/v1/agents`): individuals, or teams with `by: 'team'`. */
export async function agentsReport(db: Queryable, options?: AgentsReportOptions & { readonly by?: 'agent' | undefined }): Promise<AgentScore[]>;
export async function agentsReport(db: Queryable, options: AgentsReportOptions & { readonly by: 'team' }): Promise<TeamScore[]>;
export async function agentsReport(db: Queryable, options?: AgentsReportOptions): Promise<AgentScore[] | TeamScore[]>;
export async function agentsReport(db: Queryable, options: AgentsReportOptions = {}): Promise<AgentScore[] | TeamScore[]> {
  if (options.by !== undefined && options.by !== 'agent' && options.by !== 'team') {
    throw new AppError('usage', `--by ${String(options.by)} is not a roll-up`, { hint: 'use --by team, or leave it out for individuals' });
  }
  const analysis = await agentsAnalysis(db, options);
  return options.by === 'team' ? analysis.teams : analysis.agents;
}
