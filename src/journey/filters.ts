/**
 * Journey filters shared by every journey analysis (journeys, map, variants, broken) and by
 * every edge that offers them (CLI options, API query parameters). Filters select whole
 * journeys, never single events: a map of "journeys that touched the IVR" keeps the steps
 * before and after the IVR, so its directly-follows relation stays that of complete journeys.
 */
import { AppError } from '../core/errors.ts';
import type { SqlParam, Store } from '../store/store.ts';

/** What a journey analysis needs from a store: queries, and the SQL fragments where dialects differ. */
export type JourneyDb = Pick<Store, 'query' | 'sql'>;

export const JOURNEY_OUTCOMES = ['resolved', 'unresolved', 'abandoned'] as const;
export type JourneyOutcome = (typeof JOURNEY_OUTCOMES)[number];

export interface JourneyFilter {
  /** The journey's intent. */
  readonly intent?: string;
  /** Journeys with at least one step in this channel. */
  readonly channel?: string;
  /** Journeys that started at or after this instant (epoch ms). */
  readonly from?: number;
  /** Journeys that started before this instant (epoch ms, exclusive). */
  readonly to?: number;
  readonly outcome?: JourneyOutcome;
}

/** Filter values as they arrive from the command line or a query string. */
export interface RawJourneyFilter {
  readonly intent?: string | undefined;
  readonly channel?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly outcome?: string | undefined;
}

const DAY_MS = 24 * 3600 * 1000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads an ISO date or timestamp. A bare date is a UTC day; as an upper bound it includes that
 * whole day, so `--from 2026-06-01 --to 2026-06-30` means all of June.
 */
export function parseBound(name: string, text: string, upper: boolean): number {
  const t = text.trim();
  if (DATE_ONLY.test(t)) {
    const ms = Date.parse(`${t}T00:00:00Z`);
    if (!Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === t) return upper ? ms + DAY_MS : ms;
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(t) && /(Z|[+-]\d{2}:?\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new AppError('usage', `${name} "${text}" is not an ISO date`, { hint: `write it as 2026-06-01 or 2026-06-01T09:00:00Z` });
}

export function parseJourneyFilter(raw: RawJourneyFilter): JourneyFilter {
  const f: { -readonly [K in keyof JourneyFilter]: JourneyFilter[K] } = {};
  if (raw.intent !== undefined && raw.intent !== '') f.intent = raw.intent;
  if (raw.channel !== undefined && raw.channel !== '') f.channel = raw.channel.toLowerCase();
  if (raw.from !== undefined && raw.from !== '') f.from = parseBound('--from', raw.from, false);
  if (raw.to !== undefined && raw.to !== '') f.to = parseBound('--to', raw.to, true);
  if (raw.outcome !== undefined && raw.outcome !== '') {
    const o = raw.outcome.toLowerCase();
    if (!(JOURNEY_OUTCOMES as readonly string[]).includes(o)) {
      throw new AppError('usage', `--outcome ${raw.outcome} is not a journey outcome`, { hint: `use one of ${JOURNEY_OUTCOMES.join(', ')}` });
    }
    f.outcome = o as JourneyOutcome;
  }
  if (f.from !== undefined && f.to !== undefined && f.from >= f.to) {
    throw new AppError('usage', `--from ${raw.from} is not before --to ${raw.to}`, { hint: 'swap the two dates' });
  }
  return f;
}

export function isEmptyFilter(f: JourneyFilter): boolean {
  return f.intent === undefined && f.channel === undefined && f.from === undefined && f.to === undefined && f.outcome === undefined;
}

/**
 * The filter as SQL conditions on the journeys table aliased `j`, appending its values to
 * `params` so that the `$n` numbers stay right whatever else the query binds. `TRUE` when empty.
 */
export function journeyConditions(f: JourneyFilter, params: SqlParam[], j = 'j'): string {
  const out: string[] = [];
  const bind = (v: SqlParam): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.intent !== undefined) out.push(`${j}.intent = ${bind(f.intent)}`);
  // `channels` lists the journey's distinct channels comma-separated; channel names hold no commas.
  if (f.channel !== undefined) out.push(`(',' || ${j}.channels || ',') LIKE ${bind(`%,${f.channel},%`)}`);
  if (f.from !== undefined) out.push(`${j}.start_ts >= ${bind(f.from)}`);
  if (f.to !== undefined) out.push(`${j}.start_ts < ${bind(f.to)}`);
  if (f.outcome !== undefined) out.push(`${j}.outcome = ${bind(f.outcome)}`);
  return out.length === 0 ? 'TRUE' : out.join(' AND ');
}

/**
 * A condition on interactions aliased `i` that keeps the steps of the selected journeys. With no
 * filter it needs no join: every event with a place in a journey is a step (outbound contacts
 * have none).
 */
export function stepConditions(f: JourneyFilter, params: SqlParam[], i = 'i'): string {
  if (isEmptyFilter(f)) return `${i}.step_no IS NOT NULL`;
  return `${i}.step_no IS NOT NULL AND ${i}.journey_id IN (SELECT j.journey_id FROM journeys j WHERE ${journeyConditions(f, params)})`;
}

const FILTER_FLAGS: Record<keyof JourneyFilter, string> = { intent: '--intent', channel: '--channel', from: '--from', to: '--to', outcome: '--outcome' };

/**
 * Why an analysis found no journeys, in words: the store holds none, or which filter left
 * nothing (each one given is counted alone, and the first that alone matches no journey is
 * named), or that the filters match only apart.
 */
export async function whyNoJourneys(db: JourneyDb, f: JourneyFilter, raw: RawJourneyFilter = {}): Promise<string> {
  const count = async (filter: JourneyFilter): Promise<number> => {
    const params: SqlParam[] = [];
    const [row] = await db.query(`SELECT COUNT(*) AS n FROM journeys j WHERE ${journeyConditions(filter, params)}`, params);
    return Number(row?.n ?? 0);
  };
  const total = await count({});
  if (total === 0) return 'No journeys yet: import interactions first (throughline import FILE...).';
  const given = (Object.keys(FILTER_FLAGS) as (keyof JourneyFilter)[]).filter((k) => f[k] !== undefined);
  if (given.length === 0) return `No journeys match (the store holds ${total.toLocaleString('en-US')}).`;
  const shown = (k: keyof JourneyFilter): string => `${FILTER_FLAGS[k]} ${raw[k] ?? String(f[k])}`;
  for (const k of given) {
    if ((await count({ [k]: f[k] })) === 0) {
      return `No journeys match ${shown(k)}: none of the ${total.toLocaleString('en-US')} stored journeys has it.`;
    }
  }
  return `No journeys match ${given.map(shown).join(' with ')} together, though each alone matches some of the ${total.toLocaleString('en-US')} stored journeys.`;
}
