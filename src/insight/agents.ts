/**
 * Fair agent scores (docs/attribution.md): each employee's CSAT adjusted for the friction they
 * inherited, so that the senior agent who takes the escalations is not ranked below the one who
 * takes the easy calls. Every transaction CSAT answer about an employee is modelled as
 *
 *   csat = μ + β·friction + u[employee] + ε,   u ~ N(0, τ²), ε ~ N(0, σ²)
 *
 * The thing a reader would otherwise get wrong: β is learnt only *within* employees (each
 * employee's answers centred on their own mean, the fixed-effects estimator), because routing
 * makes friction and skill go together — where the best agents take the friction calls and still
 * score well, a model that also compares employees reads "friction costs little". The employee
 * effects u are then shrunk (a random intercept of csat − β·friction, EM-REML) by
 * τ²/(τ² + σ²/n), so five lucky answers do not top the board. The adjusted CSAT is μ + β·x̄ + u:
 * what the employee would score on an average contact. "Transferred in" counts in proportion to
 * how unusual a transfer is for the contact's intent, so an IVR that routes every call by
 * transferring it is not friction. SQL matches each answer to the contact it rates and totals each employee's contacts,
 * so one row per answer and one per employee and intent come back, never the contacts; the model
 * is fitted here, because neither SQL dialect fits one.
 */
import { AppError } from '../core/errors.ts';
import { timeRangeSql } from '../store/store.ts';
import type { Queryable, SqlParam } from '../store/store.ts';
import { contactsSql, DAY_MS, employeeKind, round } from './contacts.ts';
import type { Contact } from './contacts.ts';
import { descendingRanks, fitWithinShrunk, pearson, quadForm, spearman, Z95 } from './stats.ts';
import type { WithinFit } from './stats.ts';

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
  /** How strongly friction and employees go together in the whole data (FrictionConfounding.level). */
  confounding: FrictionConfounding['level'];
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
  /** How strongly friction and employees go together in this data, and what that means for the ranking. */
  confounding: FrictionConfounding;
}

/**
 * Friction that falls on some employees more than others is what makes raw CSAT unfair, and what
 * makes the adjustment matter: the more of it lies between employees, the more the ranking rests
 * on the friction effects being right.
 */
export interface FrictionConfounding {
  /**
   * Share (0–1) of the variation in the friction cost of answered contacts that lies between
   * employees beyond what chance puts there with this many answers each (an intraclass correlation).
   */
  between_employees: number;
  /** Across employees: correlation of their average friction cost with their adjusted CSAT, and with their raw CSAT. */
  correlation_adjusted: number | null;
  correlation_raw: number | null;
  /** Spearman correlation of the raw and the adjusted ranking. */
  rank_agreement: number | null;
  /** `low`, `moderate` or `high` (docs/attribution.md, "How far to trust the ranking"). */
  level: 'low' | 'moderate' | 'high';
  /** What that means for reading the ranking, in words. */
  meaning: string;
}

/** Above these the confounding is `high`; above half of them, `moderate`. */
const HIGH_BETWEEN_SHARE = 0.25;
const HIGH_CORRELATION = 0.5;

function finite(v: number): number | null {
  return Number.isFinite(v) ? round(v) : null;
}

/** The diagnostic of FrictionConfounding from each answer's friction cost and each employee's raw and adjusted CSAT. */
function frictionConfounding(costs: readonly number[], groups: readonly number[], q: number, raw: readonly number[], adjusted: readonly number[]): FrictionConfounding {
  const n = costs.length;
  const mean = costs.reduce((s, v) => s + v, 0) / n;
  const sum = new Array<number>(q).fill(0);
  const count = new Array<number>(q).fill(0);
  costs.forEach((c, i) => {
    sum[groups[i]!]! += c;
    count[groups[i]!]!++;
  });
  const byEmployee = sum.map((v, g) => v / count[g]!);
  const total = costs.reduce((s, v) => s + (v - mean) ** 2, 0);
  const between = byEmployee.reduce((s, v, g) => s + count[g]! * (v - mean) ** 2, 0);
  // With few answers per employee, their averages differ by chance alone: (q − 1)/(n − 1) of the
  // variation lies between employees when friction falls at random. Only the excess is reported.
  const chance = n > 1 ? (q - 1) / (n - 1) : 1;
  const share = total > 1e-12 && chance < 1 ? Math.max(0, (between / total - chance) / (1 - chance)) : 0;
  const corrAdjusted = q > 2 ? pearson(byEmployee, adjusted) : Number.NaN;
  const corrRaw = q > 2 ? pearson(byEmployee, raw) : Number.NaN;
  const agreement = q > 2 ? spearman(raw, adjusted) : Number.NaN;
  const r = Number.isFinite(corrAdjusted) ? corrAdjusted : 0;
  const level = share >= HIGH_BETWEEN_SHARE || Math.abs(r) >= HIGH_CORRELATION ? 'high' : share >= HIGH_BETWEEN_SHARE / 2 || Math.abs(r) >= HIGH_CORRELATION / 2 ? 'moderate' : 'low';
  const facts =
    `${Math.round(share * 100)}% of the variation in the friction employees walk into lies between employees beyond chance; ` +
    `their average friction and adjusted CSAT correlate ${r >= 0 ? '+' : ''}${r.toFixed(2)}` +
    (Number.isFinite(agreement) ? `, and the raw and adjusted rankings ${agreement.toFixed(2)}.` : '.');
  const direction =
    r >= HIGH_CORRELATION / 2
      ? ' The employees who take the hard contacts score well once friction is accounted for: raw CSAT understates them.'
      : r <= -HIGH_CORRELATION / 2
        ? ' The employees who take the hard contacts also score lower once friction is accounted for: check that the friction is not of their own making.'
        : '';
  const differ = Number.isFinite(agreement) && agreement < 0.7 ? ' Raw CSAT ranks people quite differently: do not use it to compare them.' : '';
  const meaning =
    level === 'low'
      ? `Friction falls on employees roughly at random here: ${facts} Raw and adjusted scores tell much the same story; the adjusted one has less noise.`
      : level === 'moderate'
        ? `Some employees take more of the friction than others: ${facts}${direction}${differ} Read the adjusted ranking, not raw CSAT.`
        : `Friction is concentrated on some employees: ${facts}${direction}${differ} The adjusted ranking holds because what friction costs is learnt by comparing each employee with themselves; ` +
          'it is only as good as the friction that is recorded, so rank people only where their intervals separate.';
  return { between_employees: round(share), correlation_adjusted: finite(corrAdjusted), correlation_raw: finite(corrRaw), rank_agreement: finite(agreement), level, meaning };
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

/** An answer the model is fitted on: its score, the employee it is about, the contact it rates. */
interface Answer {
  score: number;
  agent_id: string;
  /** frictionRow of the contact it rates (no contact found: none inherited). */
  friction: number[];
  /** The intent of that contact, null when none was found. */
  intent: string | null;
}

/** Column of "transferred in" among the friction terms (frictionRow without its intercept). */
const TRANSFER = FRICTION_TERMS.findIndex((t) => t.key === 'transferred_in');

function intentKey(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}


/** How far back an answer without an event looks for the employee's contact with the customer. */
const MATCH_WINDOW_MS = 7 * DAY_MS;
const WAIT_CAP_S = WAIT_CAP_MINUTES * 60;

/**
 * One row per transaction CSAT answer about an employee (by the answer's `agent_id`, or the agent
 * of the interaction its `event_id` names), in input order, with the friction columns of the
 * contact it rates: by its event, the employee's turn that event belongs to (their latest contact
 * at or before that step of the journey); else the employee's latest contact with that customer
 * in the 7 days before the answer (the lowest event id among contacts at the same instant). The
 * friction columns are NULL where no contact is found. `contactTime` filters contacts on `c0.ts`,
 * `answerTime` answers on `f.ts`.
 */
function answersSql(contactTime: string, answerTime: string): string {
  // Every answer is ranked once among its candidates: the contacts of its journey first, then
  // those with its customer, then itself without a contact. No join back to the answers: where
  // the planner has no statistics yet (a fresh import), such a join became a nested loop that
  // ranked all candidates again for every answer.
  return `WITH k AS (SELECT * FROM (${contactsSql()}) c0 WHERE ${contactTime}),
    a AS (
      SELECT f.response_id, f.ts, f.seq, f.score, f.customer_key, coalesce(f.agent_id, i.agent_id) AS agent_id, i.journey_id, i.step_no
      FROM feedback f LEFT JOIN interactions i ON i.event_id = f.event_id
      WHERE f.metric = 'csat' AND f.scope = 'transaction' AND f.score IS NOT NULL
        AND coalesce(f.agent_id, i.agent_id) IS NOT NULL AND ${answerTime}
    ),
    candidates AS (
      SELECT a.response_id, a.ts, a.seq, a.score, a.agent_id, 0 AS pass, k.step_no AS latest, k.event_id AS contact_id,
        k.failed_before, k.transferred_in, k.repeat_contact, k.overdue_promises, k.wait_s, k.intent
      FROM a JOIN k ON k.journey_id = a.journey_id AND k.agent_id = a.agent_id AND k.step_no <= a.step_no
      UNION ALL
      SELECT a.response_id, a.ts, a.seq, a.score, a.agent_id, 1, k.ts, k.event_id,
        k.failed_before, k.transferred_in, k.repeat_contact, k.overdue_promises, k.wait_s, k.intent
      FROM a JOIN k ON k.customer_key = a.customer_key AND k.agent_id = a.agent_id AND k.ts <= a.ts AND k.ts >= a.ts - ${MATCH_WINDOW_MS}
      UNION ALL
      SELECT a.response_id, a.ts, a.seq, a.score, a.agent_id, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM a
    ),
    ranked AS (
      SELECT candidates.*, row_number() OVER (PARTITION BY response_id ORDER BY pass, latest DESC, contact_id COLLATE "C") AS r
      FROM candidates
    )
    SELECT score, agent_id, contact_id, failed_before, transferred_in, repeat_contact, overdue_promises, wait_s, intent
    FROM ranked WHERE r = 1 ORDER BY ts, seq`;
}

/**
 * One row per employee and intent over their contacts in the period: how many, how many in a
 * store, how many inherited any friction, and the sum of each of frictionRow's friction columns
 * (the wait in seconds, capped). The friction a contact costs is linear in those columns, so an
 * employee's total is β · these sums (the transfers weighted by their intent's rate), and their
 * contacts never leave the database.
 */
function contactTotalsSql(contactTime: string): string {
  return `SELECT c0.agent_id, c0.intent, count(*) AS contacts,
      sum(CASE WHEN c0.channel = 'store' THEN 1 ELSE 0 END) AS store_contacts,
      sum(CASE WHEN c0.failed_before > 0 OR c0.transferred_in = 1 OR c0.repeat_contact = 1 OR c0.overdue_promises > 0 THEN 1 ELSE 0 END) AS with_friction,
      sum(CASE WHEN c0.failed_before > 0 THEN 1 ELSE 0 END) AS earlier_failure,
      sum(least(greatest(c0.failed_before - 1, 0), 2)) AS more_failures,
      sum(c0.transferred_in) AS transferred_in,
      sum(c0.repeat_contact) AS repeat_contact,
      sum(CASE WHEN c0.overdue_promises > 0 THEN 1 ELSE 0 END) AS overdue_promise,
      sum(least(coalesce(c0.wait_s, 0), ${WAIT_CAP_S})) AS wait_s
    FROM (${contactsSql()}) c0
    WHERE ${contactTime}
    GROUP BY c0.agent_id, c0.intent`;
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
  // Only what the model is fitted on comes into the process: one row per answer (its score and
  // the friction of the contact it rates) and one of totals per employee and intent. The model
  // is fitted here because neither SQL dialect has one (stats.ts).
  const params: SqlParam[] = [];
  const answerRows = await db.query(answersSql(timeRangeSql('c0.ts', options, params), timeRangeSql('f.ts', options, params)), params);
  const answers: Answer[] = answerRows.map((r) => ({
    score: Number(r.score),
    agent_id: String(r.agent_id),
    friction: frictionRow(
      r.contact_id === null
        ? null
        : {
            failed_before: Number(r.failed_before),
            transferred_in: Number(r.transferred_in) === 1,
            repeat_contact: Number(r.repeat_contact) === 1,
            overdue_promises: Number(r.overdue_promises),
            wait_s: r.wait_s === null ? null : Number(r.wait_s),
          },
    ),
    intent: r.contact_id === null ? null : intentKey(r.intent),
  }));
  if (answers.length === 0) return { agents: [], teams: [], model: null };

  const ids = [...new Set(answers.map((a) => a.agent_id))].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const groups = answers.map((a) => index.get(a.agent_id)!);
  const y = answers.map((a) => a.score);

  const perAgent = ids.map((id) => ({ id, scores: [] as number[], contacts: 0, store: 0, withFriction: 0, sums: new Array<number>(FRICTION_TERMS.length).fill(0) }));
  answers.forEach((a, i) => perAgent[groups[i]!]!.scores.push(a.score));
  // Contact totals per employee and intent: the intents' transfer rates centre "transferred in".
  const tParams: SqlParam[] = [];
  const totalRows = await db.query(contactTotalsSql(timeRangeSql('c0.ts', options, tParams)), tParams);
  const transfers = new Map<string, { contacts: number; transferred: number }>();
  for (const r of totalRows) {
    const t = transfers.get(intentKey(r.intent)) ?? { contacts: 0, transferred: 0 };
    t.contacts += Number(r.contacts);
    t.transferred += Number(r.transferred_in);
    transfers.set(intentKey(r.intent), t);
  }
  const routine = new Map([...transfers].map(([k, t]) => [k, t.contacts === 0 ? 0 : t.transferred / t.contacts]));
  for (const r of totalRows) {
    const g = index.get(String(r.agent_id));
    if (g === undefined) continue;
    const a = perAgent[g]!;
    const contacts = Number(r.contacts);
    a.contacts += contacts;
    a.store += Number(r.store_contacts);
    a.withFriction += Number(r.with_friction);
    // The same columns as frictionRow, summed over the contacts: the cost of each is linear.
    const sums = [
      Number(r.earlier_failure),
      Number(r.more_failures),
      Number(r.transferred_in) * (1 - (routine.get(intentKey(r.intent)) ?? 0)),
      Number(r.repeat_contact),
      Number(r.overdue_promise),
      Number(r.wait_s) / 60,
    ];
    sums.forEach((v, j) => (a.sums[j]! += v));
  }
  // A transfer is friction in proportion to how unusual it is for the intent: where the IVR routes
  // every call by transferring it, it is how calls arrive, not something that went wrong.
  const x = answers.map((a) => {
    const row = a.friction.slice(1);
    if (a.intent !== null) row[TRANSFER] = row[TRANSFER]! * (1 - (routine.get(a.intent) ?? 0));
    return row;
  });
  const p = FRICTION_TERMS.length;
  // Friction effects need answers beyond one per employee and term; with fewer, only shrinkage is left.
  const usable = answers.length > p + ids.length + 2;
  const design = usable ? x : x.map(() => []);
  const fit: WithinFit | null = answers.length > 1 && ids.length > 1 ? fitWithinShrunk(y, design, groups, ids.length, { fixedRidge: 1e-6 * answers.length }) : null;
  const beta = fit === null ? [] : fit.beta;
  const k = beta.length;
  const xbar = new Array<number>(k).fill(0);
  for (const row of design) for (let j = 0; j < k; j++) xbar[j]! += row[j]! / design.length;
  const frictionCost = (row: readonly number[]): number => {
    let s = 0;
    for (let j = 0; j < k; j++) s -= beta[j]! * row[j]!;
    return s;
  };
  const friction = perAgent.map((a) => frictionCost(a.sums));
  // Employees with answers but no contact on record inherit the friction of their answered contacts.
  answers.forEach((_, i) => {
    const g = groups[i]!;
    if (perAgent[g]!.contacts === 0) friction[g]! += frictionCost(design[i]!) / perAgent[g]!.scores.length;
  });

  const meanY = y.reduce((s, v) => s + v, 0) / y.length;
  const predict = (weights: readonly number[]): { mean: number; variance: number } => {
    // weights: one per employee, summing to 1; the prediction is μ + β·x̄ + Σ w·u.
    if (fit === null) return { mean: meanY, variance: Number.POSITIVE_INFINITY };
    const v = [1, ...weights];
    const mu = fit.groups.beta[0]!;
    const mean = mu + beta.reduce((s, b, j) => s + b * xbar[j]!, 0) + weights.reduce((s, w, g) => s + w * fit.groups.u[g]!, 0);
    // The friction effects' own uncertainty moves an employee by what their friction differs from
    // the average, as far as their own answers (not the shrinkage) carry it.
    const d = new Array<number>(k).fill(0);
    weights.forEach((w, g) => {
      for (let j = 0; j < k; j++) d[j]! += w * fit.shrink[g]! * (xbar[j]! - fit.groupMeans[g]![j]!);
    });
    return { mean, variance: quadForm(fit.groups.cov, v) + (k === 0 ? 0 : quadForm(fit.betaCov, d)) };
  };
  const teams = await teamsOf(db, ids);

  const confounding = frictionConfounding(
    design.map(frictionCost),
    groups,
    ids.length,
    perAgent.map((a) => a.scores.reduce((s, v) => s + v, 0) / a.scores.length),
    perAgent.map((_, g) => {
      const w = new Array<number>(ids.length).fill(0);
      w[g] = 1;
      return predict(w).mean;
    }),
  );

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
      inherited_friction: round(a.contacts === 0 ? friction[g]! : friction[g]! / a.contacts),
      friction_share: round(a.contacts === 0 ? 0 : a.withFriction / a.contacts),
      confounding: confounding.level,
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
    const teamFriction = members.reduce((s, mm) => s + (mm.a.contacts === 0 ? 0 : friction[mm.g]!), 0);
    const withFriction = members.reduce((s, mm) => s + mm.a.withFriction, 0);
    return {
      team,
      agents: members.length,
      contacts: contactsN,
      responses,
      raw_csat: round(raw),
      adjusted_csat: round(Math.min(5, Math.max(1, pred.mean))),
      ci95: interval(pred.mean, pred.variance),
      inherited_friction: round(contactsN === 0 ? 0 : teamFriction / contactsN),
      friction_share: round(contactsN === 0 ? 0 : withFriction / contactsN),
      confounding: confounding.level,
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
    const average = Object.fromEntries(FRICTION_TERMS.map((t, j) => [t.key, round(j < k ? xbar[j]! : 0)])) as Record<FrictionTerm, number>;
    // A term that never varies within an employee's answers cannot be estimated, and is left out.
    const varies = FRICTION_TERMS.map((_, j) => j < k && design.some((r, i) => Math.abs(r[j]! - fit.groupMeans[groups[i]!]![j]!) > 1e-9));
    const interval95 = (estimate: number, variance: number): [number, number] => {
      const se = Math.sqrt(Math.max(variance, 0));
      return [round(estimate - Z95 * se), round(estimate + Z95 * se)];
    };
    const mu = fit.groups.beta[0]!;
    model = {
      answers: answers.length,
      employees: ids.length,
      coefficients: [
        { term: 'intercept' as const, estimate: round(mu), ci95: interval95(mu, fit.groups.cov[0]![0]!) },
        ...FRICTION_TERMS.flatMap((t, j) => (varies[j] ? [{ term: t.key, estimate: round(beta[j]!), ci95: interval95(beta[j]!, fit.betaCov[j]![j]!) }] : [])),
      ],
      employee_sd: round(Math.sqrt(fit.groups.tau2)),
      residual_sd: round(Math.sqrt(fit.groups.sigma2)),
      average_friction: average,
      confounding,
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
