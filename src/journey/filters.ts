/**
 * Journey filters shared by every journey analysis (journeys, map, variants, broken) and by
 * every edge that offers them (CLI options, API query parameters). Filters select whole
 * journeys, never single events: a map of "journeys that touched the IVR" keeps the steps
 * before and after the IVR, so its directly-follows relation stays that of complete journeys.
 */
import { AppError } from '../core/errors.ts';
import type { SqlParam, Store } from '../store/store.ts';
import { PATH_PART_SEP, PATH_STEP_SEP } from './build.ts';

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
  /** Journeys with a step of each of these activities. */
  readonly contains?: readonly string[];
  /** Journeys with no step of any of these activities. */
  readonly notContains?: readonly string[];
  /** Journeys whose first step is one of these activities. */
  readonly startsWith?: readonly string[];
  /** Journeys whose last step is one of these activities. */
  readonly endsWith?: readonly string[];
  /** Journeys with an event carrying each of these imported attributes (key, value). */
  readonly attrs?: readonly (readonly [string, string])[];
  /** Journeys whose activity sequence is exactly this one (a variant by activity). */
  readonly variant?: readonly string[];
  /** Journeys that lasted at least this long, first step to last (ms). */
  readonly minDuration?: number;
  /** Journeys that lasted at most this long, first step to last (ms). */
  readonly maxDuration?: number;
}

/** A filter value that may be given more than once (a repeated option or query parameter). */
export type RawList = string | readonly string[] | undefined;

/** Filter values as they arrive from the command line or a query string. */
export interface RawJourneyFilter {
  readonly intent?: string | undefined;
  readonly channel?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly outcome?: string | undefined;
  readonly contains?: RawList;
  readonly notContains?: RawList;
  readonly startsWith?: RawList;
  readonly endsWith?: RawList;
  readonly attr?: RawList;
  readonly variant?: string | undefined;
  readonly minDuration?: string | undefined;
  readonly maxDuration?: string | undefined;
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

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };
const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$/i;

/** Reads a duration such as `90s`, `30m`, `2h`, `3d` or `1.5w` into milliseconds. */
export function parseDuration(name: string, text: string): number {
  const m = DURATION.exec(text.trim());
  const unit = m?.[2]?.toLowerCase();
  if (m === null || unit === undefined) {
    throw new AppError('usage', `${name} "${text}" is not a duration`, {
      hint: 'write a number and a unit: s (seconds), m or min (minutes), h (hours), d (days), w (weeks), e.g. 90s, 30m, 2h, 3d',
    });
  }
  return Math.round(Number(m[1]) * (DURATION_UNITS[unit] ?? 0));
}

/** The values of a repeatable, comma-separated option: `--contains a,b --contains c` is a, b, c. */
function listOf(name: string, raw: RawList): string[] | undefined {
  if (raw === undefined) return undefined;
  const parts = (typeof raw === 'string' ? [raw] : raw).flatMap((v) => v.split(',')).map((v) => v.trim());
  if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) return undefined;
  if (parts.some((v) => v === '')) throw new AppError('usage', `${name} has an empty activity name`, { hint: `write ${name} A,B with no empty item` });
  for (const v of parts) noSeparators(name, v);
  return parts;
}

function noSeparators(name: string, v: string): void {
  if (v.includes(PATH_STEP_SEP) || v.includes(PATH_PART_SEP)) throw new AppError('usage', `${name} "${v}" holds a control character no activity has`);
}

function parseAttrs(raw: RawList): [string, string][] | undefined {
  if (raw === undefined) return undefined;
  const out: [string, string][] = [];
  for (const a of typeof raw === 'string' ? [raw] : raw) {
    const eq = a.indexOf('=');
    const key = eq < 0 ? '' : a.slice(0, eq).trim();
    if (key === '') throw new AppError('usage', `--attr "${a}" is not key=value`, { hint: 'name an imported attribute and its value, e.g. --attr priority=high' });
    out.push([key, a.slice(eq + 1).trim()]);
  }
  return out.length === 0 ? undefined : out;
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
  const contains = listOf('--contains', raw.contains);
  if (contains !== undefined) f.contains = contains;
  const notContains = listOf('--not-contains', raw.notContains);
  if (notContains !== undefined) f.notContains = notContains;
  const startsWith = listOf('--starts-with', raw.startsWith);
  if (startsWith !== undefined) f.startsWith = startsWith;
  const endsWith = listOf('--ends-with', raw.endsWith);
  if (endsWith !== undefined) f.endsWith = endsWith;
  const attrs = parseAttrs(raw.attr);
  if (attrs !== undefined) f.attrs = attrs;
  const variant = listOf('--variant', raw.variant);
  if (variant !== undefined) f.variant = variant;
  if (raw.minDuration !== undefined && raw.minDuration !== '') f.minDuration = parseDuration('--min-duration', raw.minDuration);
  if (raw.maxDuration !== undefined && raw.maxDuration !== '') f.maxDuration = parseDuration('--max-duration', raw.maxDuration);
  if (f.minDuration !== undefined && f.maxDuration !== undefined && f.minDuration > f.maxDuration) {
    throw new AppError('usage', `--min-duration ${raw.minDuration} is longer than --max-duration ${raw.maxDuration}`, { hint: 'swap the two durations' });
  }
  if (f.from !== undefined && f.to !== undefined && f.from >= f.to) {
    throw new AppError('usage', `--from ${raw.from} is not before --to ${raw.to}`, { hint: 'swap the two dates' });
  }
  return f;
}

export function isEmptyFilter(f: JourneyFilter): boolean {
  return (Object.keys(FILTER_FLAGS) as (keyof JourneyFilter)[]).every((k) => f[k] === undefined);
}

/** A JSON object's text, as JSON.stringify writes it, holds this key with this value at its top level. */
function attrPatterns(key: string, value: string): string[] {
  const out = [`${JSON.stringify(key)}:${JSON.stringify(value)}`];
  // Attributes from XES or JSON lines may be numbers or booleans rather than strings.
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false)$/.test(value)) out.push(`${JSON.stringify(key)}:${JSON.stringify(JSON.parse(value))}`);
  return out;
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
  // The path is `channel␞activity␟channel␞activity…`; channels hold neither separator, so
  // `␞activity␟` in `path␟` is a step of that activity, and the first `␞` opens the first step.
  const padded = `(${j}.path || '${PATH_STEP_SEP}')`;
  const step = (a: string): string => bind(`${PATH_PART_SEP}${a}${PATH_STEP_SEP}`);
  for (const a of f.contains ?? []) out.push(`strpos(${padded}, ${step(a)}) > 0`);
  for (const a of f.notContains ?? []) out.push(`strpos(${padded}, ${step(a)}) = 0`);
  if (f.startsWith !== undefined) {
    out.push(`(${f.startsWith.map((a) => `strpos(${padded}, ${step(a)}) = strpos(${j}.path, '${PATH_PART_SEP}')`).join(' OR ')})`);
  }
  if (f.endsWith !== undefined) {
    out.push(`(${f.endsWith.map((a) => `right(${padded}, ${bind([...a].length + 2)}) = ${step(a)}`).join(' OR ')})`);
  }
  if (f.variant !== undefined) {
    out.push(`regexp_replace(${j}.path, ${bind(`[^${PATH_STEP_SEP}${PATH_PART_SEP}]*${PATH_PART_SEP}`)}, '', 'g') = ${bind(f.variant.join(PATH_STEP_SEP))}`);
  }
  for (const [key, value] of f.attrs ?? []) {
    // attrs is JSON.stringify's text of a flat object: `,"key":"value",` in `,{inner},` is a top-level member.
    const inner = `(',' || substr(i.attrs, 2, length(i.attrs) - 2) || ',')`;
    const any = attrPatterns(key, value).map((p) => `strpos(${inner}, ${bind(`,${p},`)}) > 0`).join(' OR ');
    out.push(`EXISTS (SELECT 1 FROM interactions i WHERE i.journey_id = ${j}.journey_id AND (${any}))`);
  }
  if (f.minDuration !== undefined) out.push(`${j}.end_ts - ${j}.start_ts >= ${bind(f.minDuration)}`);
  if (f.maxDuration !== undefined) out.push(`${j}.end_ts - ${j}.start_ts <= ${bind(f.maxDuration)}`);
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

const FILTER_FLAGS: Record<keyof JourneyFilter, string> = {
  intent: '--intent',
  channel: '--channel',
  from: '--from',
  to: '--to',
  outcome: '--outcome',
  contains: '--contains',
  notContains: '--not-contains',
  startsWith: '--starts-with',
  endsWith: '--ends-with',
  attrs: '--attr',
  variant: '--variant',
  minDuration: '--min-duration',
  maxDuration: '--max-duration',
};

/** The raw key each filter arrives under, where it differs from the filter's. */
const RAW_KEY: Partial<Record<keyof JourneyFilter, keyof RawJourneyFilter>> = { attrs: 'attr' };

/** A filter as the user wrote it, or as it was read when the raw text is not at hand. */
function shownValue(k: keyof JourneyFilter, f: JourneyFilter, raw: RawJourneyFilter): string {
  const r = raw[RAW_KEY[k] ?? (k as keyof RawJourneyFilter)];
  if (typeof r === 'string') return r;
  if (Array.isArray(r)) return r.join(',');
  const v = f[k];
  if (k === 'attrs') return (v as readonly (readonly [string, string])[]).map(([a, b]) => `${a}=${b}`).join(' ');
  return Array.isArray(v) ? v.join(',') : String(v);
}

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
  const shown = (k: keyof JourneyFilter): string => `${FILTER_FLAGS[k]} ${shownValue(k, f, raw)}`;
  for (const k of given) {
    if ((await count({ [k]: f[k] })) === 0) {
      return `No journeys match ${shown(k)}: none of the ${total.toLocaleString('en-US')} stored journeys has it.`;
    }
  }
  return `No journeys match ${given.map(shown).join(' with ')} together, though each alone matches some of the ${total.toLocaleString('en-US')} stored journeys.`;
}
