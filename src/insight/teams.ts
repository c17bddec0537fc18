/**
 * Teams (docs/teams.md): each team's customer outcomes — contacts, CSAT adjusted for inherited
 * friction (the agents model, src/insight/agents.ts), praise, the relationship NPS of the
 * customers it served — beside how its employees feel (eNPS, engagement). Employee answers are
 * shown per team only, and only from 5 respondents on: an employee's own answer is never shown,
 * and nothing here is per person.
 */
import { AppError } from '../core/errors.ts';
import { timeRangeSql } from '../store/store.ts';
import type { Queryable, SqlParam } from '../store/store.ts';
import { agentsAnalysis } from './agents.ts';
import type { AgentScore, AgentsOptions, TeamScore } from './agents.ts';
import { round } from './contacts.ts';
import { Z95 } from './stats.ts';
export { INDIVIDUAL_LIMITS } from './limits.ts';

/** Fewer respondents than this and a team's employee results are not shown (DATA.md). */
export const MIN_EMPLOYEE_RESPONDENTS = 5;

export const TEAMS_CAUTION =
  'Across teams, not causal: teams differ in case mix, site, manager and tenure, and few teams make a wide interval. ' +
  'Read it as where to look and what to ask, not as what causes what.';

export interface TeamRow {
  team: string;
  /** Employees of the team: the staff directory's, else those scored. */
  agents: number;
  /** Contacts handled by the team's scored employees. */
  contacts: number;
  /** Transaction CSAT answers about the team's employees. */
  responses: number;
  raw_csat: number | null;
  /** The agents model's team roll-up: expected CSAT on a contact of average friction. */
  adjusted_csat: number | null;
  ci95: [number, number] | null;
  /** Praise customers gave the team's employees by name. */
  praise: number;
  /** eNPS (−100..100) of the team's employees; null below 5 respondents. */
  enps: number | null;
  /** Respondents to eNPS (each employee's latest answer counts once). */
  enps_n: number;
  enps_ci95: [number, number] | null;
  /** Mean engagement (1–5); null below 5 respondents. */
  engagement: number | null;
  engagement_n: number;
  /** Relationship NPS of the customers the team served (each customer's latest answer). */
  relationship_nps: number | null;
  relationship_nps_n: number;
  relationship_nps_ci95: [number, number] | null;
}

export interface TeamsAssociation {
  /** What is set against what, across teams. */
  x: 'enps' | 'engagement';
  y: 'adjusted_csat' | 'relationship_nps';
  /** Teams with both shown. */
  teams: number;
  /** Pearson correlation across teams; null with fewer than 3. */
  r: number | null;
  /** Fisher-z interval; null with fewer than 4 teams (no interval can be had). */
  ci95: [number, number] | null;
}

export interface TeamsAnalysis {
  teams: TeamRow[];
  association: TeamsAssociation[];
  caution: string;
}


/** NPS on −100..100 with an adjusted Wald interval (as feedback's, on the +1/0/−1 coding). */
function nps(scores: readonly number[]): { score: number; ci95: [number, number] } {
  const n = scores.length;
  const pro = scores.filter((s) => s >= 9).length;
  const det = scores.filter((s) => s <= 6).length;
  const n2 = n + 3;
  const p = (pro + 0.75) / n2;
  const d = (det + 0.75) / n2;
  const centre = p - d;
  const half = Z95 * Math.sqrt((p + d - centre * centre) / n2);
  const clamp = (x: number): number => Math.max(-100, Math.min(100, x));
  return { score: round((100 * (pro - det)) / n, 1), ci95: [round(clamp(100 * (centre - half)), 1), round(clamp(100 * (centre + half)), 1)] };
}

/** Pearson r with a Fisher-z 95% interval. */
export function correlation(xs: readonly number[], ys: readonly number[]): { r: number | null; ci95: [number, number] | null } {
  const k = xs.length;
  if (k < 3) return { r: null, ci95: null };
  const mx = xs.reduce((a, b) => a + b, 0) / k;
  const my = ys.reduce((a, b) => a + b, 0) / k;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < k; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return { r: null, ci95: null };
  const r = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  if (k < 4) return { r: round(r), ci95: null };
  const z = Math.atanh(Math.max(-0.999999, Math.min(0.999999, r)));
  const half = Z95 / Math.sqrt(k - 3);
  return { r: round(r), ci95: [round(Math.tanh(z - half)), round(Math.tanh(z + half))] };
}

/**
 * @example
 * const { teams, association } = await teamsAnalysis(store, {});
 * teams[0]; // { team: 'tech', agents: 7, adjusted_csat: 4.1, ci95: [3.9, 4.3], enps: 40, enps_n: 7, ... }
 */
export async function teamsAnalysis(db: Queryable, options: AgentsOptions = {}): Promise<TeamsAnalysis> {
  if (options.from !== undefined && options.to !== undefined && options.from >= options.to) {
    throw new AppError('usage', 'the start of the period is not before its end');
  }
  const scored = await agentsAnalysis(db, options);
  const teamOf = new Map<string, string>();
  for (const a of scored.agents) teamOf.set(a.agent_id, a.team);
  const members = new Map<string, number>();
  for (const r of await db.query(`SELECT staff_id, team FROM staff WHERE team IS NOT NULL AND team <> ''`)) {
    teamOf.set(String(r.staff_id), String(r.team));
    members.set(String(r.team), (members.get(String(r.team)) ?? 0) + 1);
  }

  // Employee answers: each respondent's latest per metric, so one person answering twice counts once.
  const ep: SqlParam[] = [];
  const employee = new Map<string, { enps: number[]; engagement: number[] }>();
  const latest = new Map<string, { ts: number; score: number; team: string; metric: string }>();
  for (const r of await db.query(
    `SELECT response_id, ts, metric, score, team, employee_id FROM employee_feedback WHERE team IS NOT NULL AND ${timeRangeSql('ts', options, ep)}`,
    ep,
  )) {
    const who = `${String(r.metric)}|${r.employee_id === null ? `response:${String(r.response_id)}` : `employee:${String(r.employee_id)}`}`;
    const prev = latest.get(who);
    if (prev === undefined || Number(r.ts) >= prev.ts) latest.set(who, { ts: Number(r.ts), score: Number(r.score), team: String(r.team), metric: String(r.metric) });
  }
  for (const a of latest.values()) {
    const e = employee.get(a.team) ?? { enps: [], engagement: [] };
    (a.metric === 'enps' ? e.enps : e.engagement).push(a.score);
    employee.set(a.team, e);
  }

  // Relationship NPS of the customers each team served: each customer's latest answer in the period.
  const np: SqlParam[] = [];
  const cWhere = timeRangeSql('i.ts', options, np);
  const fWhere = timeRangeSql('f.ts', options, np);
  const served = new Map<string, Map<string, number>>();
  for (const r of await db.query(
    `SELECT DISTINCT p.agent_id, p.customer_key, a.score FROM
       (SELECT DISTINCT i.customer_key, i.agent_id FROM interactions i WHERE i.agent_id IS NOT NULL AND i.direction = 'inbound' AND ${cWhere}) p
       JOIN (SELECT customer_key, score FROM (
               SELECT f.customer_key, f.score, row_number() OVER (PARTITION BY f.customer_key ORDER BY f.ts DESC, f.response_id DESC) AS rn
               FROM feedback f WHERE f.metric = 'nps' AND f.scope = 'relationship' AND f.customer_key IS NOT NULL AND ${fWhere}) x
             WHERE rn = 1) a ON a.customer_key = p.customer_key`,
    np,
  )) {
    const team = teamOf.get(String(r.agent_id));
    if (team === undefined) continue;
    const m = served.get(team) ?? new Map<string, number>();
    m.set(String(r.customer_key), Number(r.score));
    served.set(team, m);
  }

  const pp: SqlParam[] = [];
  const praise = new Map<string, number>();
  for (const r of await db.query(`SELECT team, count(*) AS n FROM praise WHERE ${timeRangeSql('ts', options, pp)} GROUP BY team`, pp)) {
    praise.set(String(r.team), Number(r.n));
  }

  const byTeam = new Map(scored.teams.map((t) => [t.team, t]));
  const names = [...new Set([...byTeam.keys(), ...members.keys(), ...employee.keys()])];
  const teams: TeamRow[] = names.map((team) => {
    const t = byTeam.get(team);
    const e = employee.get(team) ?? { enps: [], engagement: [] };
    const enpsShown = e.enps.length >= MIN_EMPLOYEE_RESPONDENTS ? nps(e.enps) : null;
    const customers = [...(served.get(team)?.values() ?? [])];
    const rel = customers.length === 0 ? null : nps(customers);
    return {
      team,
      agents: members.get(team) ?? t?.agents ?? 0,
      contacts: t?.contacts ?? 0,
      responses: t?.responses ?? 0,
      raw_csat: t?.raw_csat ?? null,
      adjusted_csat: t?.adjusted_csat ?? null,
      ci95: t?.ci95 ?? null,
      praise: praise.get(team) ?? 0,
      enps: enpsShown === null ? null : enpsShown.score,
      enps_n: e.enps.length,
      enps_ci95: enpsShown === null ? null : enpsShown.ci95,
      engagement: e.engagement.length >= MIN_EMPLOYEE_RESPONDENTS ? round(e.engagement.reduce((a, b) => a + b, 0) / e.engagement.length, 2) : null,
      engagement_n: e.engagement.length,
      relationship_nps: rel?.score ?? null,
      relationship_nps_n: customers.length,
      relationship_nps_ci95: rel?.ci95 ?? null,
    };
  });
  teams.sort((a, b) => (b.adjusted_csat ?? -Infinity) - (a.adjusted_csat ?? -Infinity) || (a.team < b.team ? -1 : 1));

  const association: TeamsAssociation[] = [];
  for (const [x, y] of [
    ['enps', 'adjusted_csat'],
    ['enps', 'relationship_nps'],
    ['engagement', 'adjusted_csat'],
  ] as const) {
    const both = teams.filter((t) => t[x] !== null && t[y] !== null);
    association.push({ x, y, teams: both.length, ...correlation(both.map((t) => t[x]!), both.map((t) => t[y]!)) });
  }
  return { teams, association, caution: TEAMS_CAUTION };
}

/** The `teams` document of docs/cli.md (and `/api/v1/teams`). */
export async function teamsReport(db: Queryable, options: AgentsOptions = {}): Promise<TeamRow[]> {
  return (await teamsAnalysis(db, options)).teams;
}

export const AGENT_SORTS = ['team', 'rank'] as const;
export type AgentSort = (typeof AGENT_SORTS)[number];

/** An employee's score with their name from the staff directory. */
export type NamedAgentScore = AgentScore & { name: string | null };

/**
 * The agents document with names from the directory, in team order (teams by adjusted CSAT, people
 * by name within a team) unless `sort` is `rank` (the individual ranking).
 */
export async function namedAgents(db: Queryable, agents: readonly AgentScore[], teams: readonly TeamScore[], sort: AgentSort = 'team'): Promise<NamedAgentScore[]> {
  const names = new Map<string, string>();
  for (const r of await db.query(`SELECT staff_id, name FROM staff WHERE name IS NOT NULL`)) names.set(String(r.staff_id), String(r.name));
  const out = agents.map((a) => ({ ...a, name: names.get(a.agent_id) ?? null }));
  if (sort === 'rank') return out.sort((a, b) => a.rank_adjusted - b.rank_adjusted || (a.agent_id < b.agent_id ? -1 : 1));
  const teamRank = new Map(teams.map((t) => [t.team, t.rank_adjusted]));
  const label = (a: NamedAgentScore): string => a.name ?? a.agent_id;
  return out.sort((a, b) => (teamRank.get(a.team) ?? 1e9) - (teamRank.get(b.team) ?? 1e9) || (a.team < b.team ? -1 : a.team > b.team ? 1 : 0) || (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0));
}
