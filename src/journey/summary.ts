/**
 * The `journeys` document: how many journeys there are and how they end, how often customers
 * switch channel or need a person, how much of digital self-service is contained, and which
 * channel customers prefer — overall and per intent. Reads the journeys table the build keeps.
 */
import type { SqlParam } from '../store/store.ts';
import { journeyConditions } from './filters.ts';
import type { JourneyDb, JourneyFilter } from './filters.ts';
import { preferredChannelsSql } from './preferred.ts';

export interface JourneyStats {
  journeys: number;
  customers: number;
  resolved_rate: number | null;
  unresolved_rate: number | null;
  abandoned_rate: number | null;
  median_steps: number | null;
  median_duration_s: number | null;
  median_effort_s: number | null;
  /** Share of journeys that changed channel at least once. */
  channel_switch_rate: number | null;
  /** Share of journeys with at least one call, chat or store contact. */
  assisted_rate: number | null;
  /** Journeys that started in web, app or IVR. */
  digital_journeys: number;
  /** Share of digital journeys with no assisted contact within 24 hours of their start; null with none. */
  containment_rate: number | null;
}

export interface IntentStats extends JourneyStats {
  intent: string;
}

export interface StartChannelStats extends JourneyStats {
  channel: string;
}

export interface PreferredChannelShare {
  channel: string;
  customers: number;
  share: number;
}

export interface JourneysDocument extends JourneyStats {
  /** Customers of the selected journeys by their preferred channel (preferred.ts). */
  preferred_channels: PreferredChannelShare[];
  by_intent: IntentStats[];
  by_start_channel: StartChannelStats[];
}

/** Rates and medians with four decimals: enough to rank on, short enough to read. */
export function round4(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : Math.round(x * 10_000) / 10_000;
}

function statsSql(db: JourneyDb, key: string | null, where: string): string {
  return `SELECT ${key === null ? 'NULL' : key} AS k,
      count(*) AS journeys, count(DISTINCT j.customer_key) AS customers,
      avg(CASE WHEN j.outcome = 'resolved' THEN 1.0 ELSE 0.0 END) AS resolved_rate,
      avg(CASE WHEN j.outcome = 'unresolved' THEN 1.0 ELSE 0.0 END) AS unresolved_rate,
      avg(CASE WHEN j.outcome = 'abandoned' THEN 1.0 ELSE 0.0 END) AS abandoned_rate,
      ${db.sql.median('j.steps')} AS median_steps,
      ${db.sql.median('(j.end_ts - j.start_ts) / 1000.0')} AS median_duration_s,
      ${db.sql.median('j.effort_s')} AS median_effort_s,
      avg(CASE WHEN j.channel_switches > 0 THEN 1.0 ELSE 0.0 END) AS channel_switch_rate,
      avg(CASE WHEN j.assisted > 0 THEN 1.0 ELSE 0.0 END) AS assisted_rate,
      count(j.contained) AS digital_journeys,
      sum(CASE WHEN j.contained THEN 1 ELSE 0 END) AS contained_journeys,
      sum(CASE WHEN j.last_outcome IS NOT NULL OR j.failures > 0 THEN 1 ELSE 0 END) AS with_outcomes
    FROM journeys j WHERE ${where}${key === null ? '' : ' GROUP BY 1'}`;
}

function toStats(r: Record<string, unknown>): JourneyStats {
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  const digital = Number(r.digital_journeys ?? 0);
  // A log that records no outcome at all (most process-mining exports) says nothing about
  // resolution: null, not "100% resolved".
  const outcomes = Number(r.with_outcomes ?? 0) > 0;
  return {
    journeys: Number(r.journeys ?? 0),
    customers: Number(r.customers ?? 0),
    resolved_rate: outcomes ? round4(num(r.resolved_rate)) : null,
    unresolved_rate: outcomes ? round4(num(r.unresolved_rate)) : null,
    abandoned_rate: outcomes ? round4(num(r.abandoned_rate)) : null,
    median_steps: round4(num(r.median_steps)),
    median_duration_s: round4(num(r.median_duration_s)),
    median_effort_s: round4(num(r.median_effort_s)),
    channel_switch_rate: round4(num(r.channel_switch_rate)),
    assisted_rate: round4(num(r.assisted_rate)),
    digital_journeys: digital,
    containment_rate: digital === 0 ? null : round4(Number(r.contained_journeys ?? 0) / digital),
  };
}

const byJourneysThenName = <T extends JourneyStats>(name: (x: T) => string) => (a: T, b: T): number =>
  b.journeys - a.journeys || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);

export async function journeysDocument(db: JourneyDb, filter: JourneyFilter = {}): Promise<JourneysDocument> {
  const params: SqlParam[] = [];
  const where = journeyConditions(filter, params);
  // Four independent scans, sent together: PostgreSQL runs them on connections of its pool at
  // once (5.5 s one after another on a 1M-event store); DuckDB's connection takes them in turn.
  const [[overall], intents, starts, preferred] = await Promise.all([
    db.query(statsSql(db, null, where), params),
    db.query(statsSql(db, 'j.intent', where), params),
    db.query(statsSql(db, 'j.first_channel', where), params),
    db.query(
      `SELECT p.channel, count(*) AS customers FROM (${preferredChannelsSql()}) p
       WHERE p.customer_key IN (SELECT j.customer_key FROM journeys j WHERE ${where})
       GROUP BY p.channel`,
      params,
    ),
  ]);
  const stats = toStats(overall ?? {});
  const preferredTotal = preferred.reduce((s, r) => s + Number(r.customers), 0);
  return {
    ...stats,
    preferred_channels: preferred
      .map((r) => ({ channel: String(r.channel), customers: Number(r.customers), share: round4(Number(r.customers) / preferredTotal) ?? 0 }))
      .sort((a, b) => b.customers - a.customers || (a.channel < b.channel ? -1 : 1)),
    by_intent: intents.map((r) => ({ intent: String(r.k), ...toStats(r) })).sort(byJourneysThenName((x) => x.intent)),
    by_start_channel: starts.map((r) => ({ channel: String(r.k), ...toStats(r) })).sort(byJourneysThenName((x) => x.channel)),
  };
}
