/**
 * Everything the live context and the engagement guard know about one customer, read with a
 * fixed handful of queries keyed by customer. Both read these facts, so what an agent sees and
 * what the guard decides can never disagree (one definition of "overdue promise", "open
 * journey", "held product").
 */
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { IdentifierType } from '../core/records.ts';
import { isValidZone } from '../core/time.ts';
import { isPlaceholder } from '../identity/normalize.ts';
import { promiseStateSql } from '../insight/promises.ts';
import { preferredChannel } from '../journey/preferred.ts';
import type { PreferredChannel } from '../journey/preferred.ts';
import type { Queryable, Row } from '../store/store.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface HoldingFact {
  product: string;
  since: number | null;
  until: number | null;
  /** Held now: started (or no start known) and not ended. */
  active: boolean;
}

export interface ConsentFact {
  channel: string;
  status: 'grant' | 'deny';
  ts: number | null;
  timezone: string | null;
  quiet_start: string | null;
  quiet_end: string | null;
}

/**
 * `open`: not kept, not yet due. `overdue`: not kept and past due (DATA.md and the promises
 * analysis call this `broken`; here it is named for what an agent can still do about it).
 * `kept`: kept on time. `kept_late`: kept after it was due.
 */
export type PromiseState = 'open' | 'overdue' | 'kept' | 'kept_late';

export interface PromiseFact {
  promise_id: string;
  kind: string;
  made_at: number;
  due: number;
  kept_at: number | null;
  agent_id: string | null;
  description: string | null;
  state: PromiseState;
}

export interface JourneyFact {
  journey_id: string;
  intent: string | null;
  start_ts: number;
  end_ts: number;
  steps: number;
  channels: string[];
  failures: number;
  last_outcome: string | null;
  /** resolved | unresolved | abandoned (docs/journeys.md). */
  outcome: string;
}

export interface EventFact {
  event_id: string;
  ts: number;
  channel: string;
  activity: string;
  intent: string | null;
  outcome: string | null;
  direction: string;
  agent_id: string | null;
  journey_id: string | null;
}

export interface FeedbackFact {
  response_id: string;
  ts: number;
  survey_id: string;
  metric: string;
  scope: string;
  score: number;
  comment: string | null;
}

export interface CaseFact {
  case_id: string;
  kind: string;
  status: string;
  reason: string;
  owner: string;
  opened_at: number;
  due_at: number;
  root_cause_step: string | null;
  overdue: boolean;
}

export interface CustomerFacts {
  customer_key: string;
  now: number;
  identifiers: { type: IdentifierType; value: string; links: boolean }[];
  /** Profile traits (name, segment, timezone, …), the latest profile's value first. */
  traits: Record<string, unknown>;
  /** The customer's IANA zone from their profile or consents; null when unknown. */
  timezone: string | null;
  holdings: HoldingFact[];
  /** The latest consent per channel. */
  consents: ConsentFact[];
  promises: PromiseFact[];
  /** The most recent journeys, latest first. */
  journeys: JourneyFact[];
  /** The most recent interactions (inbound and outbound), latest first. */
  events: EventFact[];
  /** The most recent survey answers, latest first. */
  feedback: FeedbackFact[];
  /** Cases still open or contacted. */
  cases: CaseFact[];
  preferred: PreferredChannel;
}

export interface FactLimits {
  readonly journeys: number;
  readonly events: number;
  readonly feedback: number;
}

export const DEFAULT_FACT_LIMITS: FactLimits = Object.freeze({ journeys: 20, events: 100, feedback: 10 });

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function parseAttrs(v: unknown): Record<string, unknown> {
  if (typeof v !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Reads the facts of one customer (a key from `resolveCustomer`) as of `now`. */
export async function loadFacts(db: Queryable, customerKey: string, now: number, limits: FactLimits = DEFAULT_FACT_LIMITS): Promise<CustomerFacts> {
  const k = [customerKey];
  const idRows = await db.query(
    // Values in byte order on both stores (COLLATE "C"); the union is wrapped because
    // PostgreSQL orders a union's result by bare column names only.
    'SELECT * FROM (' +
      IDENTIFIER_TYPES.map((t, i) => `SELECT DISTINCT ${i} AS o, '${t}' AS type, ${t} AS value FROM id_tuples WHERE customer_key = $1 AND ${t} IS NOT NULL`).join(' UNION ALL ') +
      ') u ORDER BY o, value COLLATE "C"',
    k,
  );
  const profiles = await db.query(`SELECT attrs FROM profiles WHERE customer_key = $1 AND attrs IS NOT NULL ORDER BY seq DESC LIMIT 50`, k);
  const holdings = await db.query(`SELECT product, since, until FROM holdings WHERE customer_key = $1 ORDER BY product COLLATE "C", seq`, k);
  const consents = await db.query(
    `SELECT channel, status, ts, timezone, quiet_start, quiet_end FROM consents WHERE customer_key = $1 ORDER BY coalesce(ts, 0), seq`,
    k,
  );
  // Promise states are the promises analysis' own definition (insight/promises.ts), judged at `now`.
  const promises = await db.query(
    `SELECT p.promise_id, p.kind, p.ts, p.due, p.kept_at, p.agent_id, p.description, ${promiseStateSql('p', '$2')} AS state
     FROM promises p WHERE p.customer_key = $1 AND p.ts <= $2 ORDER BY p.due, p.promise_id COLLATE "C"`,
    [customerKey, now],
  );
  const journeys = await db.query(
    `SELECT journey_id, intent, start_ts, end_ts, steps, channels, failures, last_outcome, outcome FROM journeys
     WHERE customer_key = $1 ORDER BY end_ts DESC, first_seq DESC LIMIT ${Math.floor(limits.journeys)}`,
    k,
  );
  const events = await db.query(
    `SELECT event_id, ts, channel, activity, intent, outcome, direction, agent_id, journey_id FROM interactions
     WHERE customer_key = $1 ORDER BY ts DESC, seq DESC LIMIT ${Math.floor(limits.events)}`,
    k,
  );
  const feedback = await db.query(
    `SELECT response_id, ts, survey_id, metric, scope, score, comment FROM feedback
     WHERE customer_key = $1 ORDER BY ts DESC, seq DESC LIMIT ${Math.floor(limits.feedback)}`,
    k,
  );
  const cases = await db.query(
    `SELECT case_id, kind, status, reason, owner, opened_at, due_at, root_cause_step FROM cases
     WHERE customer_key = $1 AND status IN ('open', 'contacted') ORDER BY opened_at, case_id`,
    k,
  );
  const preferred = await preferredChannel(db, customerKey);

  const traits: Record<string, unknown> = {};
  for (const p of profiles) for (const [name, v] of Object.entries(parseAttrs(p.attrs))) if (!(name in traits)) traits[name] = v;

  // The latest consent per channel wins: later rows overwrite earlier ones.
  const latest = new Map<string, ConsentFact>();
  for (const c of consents) {
    latest.set(String(c.channel), {
      channel: String(c.channel),
      status: c.status === 'deny' ? 'deny' : 'grant',
      ts: num(c.ts),
      timezone: str(c.timezone),
      quiet_start: str(c.quiet_start),
      quiet_end: str(c.quiet_end),
    });
  }
  const zoneCandidates = [traits.timezone, traits.time_zone, ...[...latest.values()].map((c) => c.timezone)];
  const timezone = (zoneCandidates.find((z) => typeof z === 'string' && z !== '' && isValidZone(z)) as string | undefined) ?? null;

  return {
    customer_key: customerKey,
    now,
    identifiers: idRows.map((r) => ({
      type: r.type as IdentifierType,
      value: String(r.value),
      links: !isPlaceholder(r.type as IdentifierType, String(r.value)),
    })),
    traits,
    timezone,
    holdings: holdings.map((h) => {
      const since = num(h.since);
      const until = num(h.until);
      return { product: String(h.product), since, until, active: (since === null || since <= now) && (until === null || until > now) };
    }),
    consents: [...latest.values()].sort((a, b) => (a.channel < b.channel ? -1 : 1)),
    promises: promises.map((p) => {
      const state = String(p.state);
      return {
        promise_id: String(p.promise_id),
        kind: String(p.kind),
        made_at: Number(p.ts),
        due: Number(p.due),
        // A kept_at after `now` has not happened yet as of `now`.
        kept_at: state === 'kept' || state === 'kept_late' ? num(p.kept_at) : null,
        agent_id: str(p.agent_id),
        description: str(p.description),
        state: state === 'broken' ? 'overdue' : (state as PromiseState),
      };
    }),
    journeys: journeys.map(toJourney),
    events: events.map((e) => ({
      event_id: String(e.event_id),
      ts: Number(e.ts),
      channel: String(e.channel),
      activity: String(e.activity),
      intent: str(e.intent),
      outcome: str(e.outcome),
      direction: str(e.direction) ?? 'inbound',
      agent_id: str(e.agent_id),
      journey_id: str(e.journey_id),
    })),
    feedback: feedback.map((f) => ({
      response_id: String(f.response_id),
      ts: Number(f.ts),
      survey_id: String(f.survey_id),
      metric: String(f.metric),
      scope: String(f.scope),
      score: Number(f.score),
      comment: str(f.comment),
    })),
    cases: cases.map((c) => ({
      case_id: String(c.case_id),
      kind: String(c.kind),
      status: String(c.status),
      reason: String(c.reason),
      owner: String(c.owner),
      opened_at: Number(c.opened_at),
      due_at: Number(c.due_at),
      root_cause_step: str(c.root_cause_step),
      overdue: Number(c.due_at) < now,
    })),
    preferred,
  };
}

function toJourney(j: Row): JourneyFact {
  return {
    journey_id: String(j.journey_id),
    intent: str(j.intent),
    start_ts: Number(j.start_ts),
    end_ts: Number(j.end_ts),
    steps: Number(j.steps),
    channels: j.channels === null ? [] : String(j.channels).split(','),
    failures: Number(j.failures),
    last_outcome: str(j.last_outcome),
    outcome: String(j.outcome),
  };
}

/**
 * Open journeys: the customer's goal was not reached (the journey ended unresolved or
 * abandoned) and its last step is recent enough that they may still be trying, within
 * `windowMs` (the journey inactivity window: after it, a new attempt is a new journey anyway).
 */
export function openJourneys(facts: CustomerFacts, windowMs: number): JourneyFact[] {
  return facts.journeys.filter((j) => j.outcome !== 'resolved' && facts.now - j.end_ts <= windowMs && j.end_ts <= facts.now + DAY_MS);
}

/** The steps of one journey from the facts' recent events, in time order. */
export function journeySteps(facts: CustomerFacts, journeyId: string): EventFact[] {
  return facts.events.filter((e) => e.journey_id === journeyId).sort((a, b) => a.ts - b.ts);
}

export interface OutboundContact {
  ts: number;
  channel: string;
  intent: string | null;
}

/** Outbound contacts (marketing, reminders, surveys) on record in [from, to]: what frequency caps count. */
export async function outboundContacts(db: Queryable, customerKey: string, from: number, to: number): Promise<OutboundContact[]> {
  const rows = await db.query(
    `SELECT ts, channel, intent FROM interactions WHERE customer_key = $1 AND direction = 'outbound' AND ts >= $2 AND ts <= $3 ORDER BY ts`,
    [customerKey, from, to],
  );
  return rows.map((r) => ({ ts: Number(r.ts), channel: String(r.channel), intent: str(r.intent) }));
}
