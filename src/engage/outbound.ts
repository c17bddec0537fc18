/**
 * Outbound contacts and what follows them (docs/teams.md, "Outbound"): for every contact the
 * company started (`direction=outbound`), the customer's satisfaction answers, complaints and
 * opt-outs in the days after it, by channel, kind, local hour and contact frequency, with
 * intervals; and where the engagement guard's default quiet hours and caps stand against that.
 * Associations, not effects: who gets contacted when is itself chosen by someone.
 */
import { AppError } from '../core/errors.ts';
import { zoneOffsetMs } from '../core/time.ts';
import { timeRangeSql } from '../store/store.ts';
import type { Queryable, SqlParam } from '../store/store.ts';
import { quietUntil } from './guard.ts';
import { DEFAULT_POLICIES } from './policies.ts';
import type { Policies } from './policies.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const Z95 = 1.959963984540054;
/** Days after a contact in which what follows is counted. */
export const DEFAULT_FOLLOW_DAYS = 3;
/** A group needs this many answers (or contacts, for rates) before it can be a finding. */
export const MIN_FINDING_N = 20;
/**
 * A finding's difference must be this many standard errors from 0 (p < 0.003), not 1.96: some
 * hundred groups are compared, and at 1.96 five in a hundred would stand out by chance alone.
 */
export const FINDING_Z = 3;
export const OUTBOUND_BY = ['channel', 'activity', 'hour', 'frequency', 'channel_hour', 'activity_hour'] as const;
export type OutboundBy = (typeof OUTBOUND_BY)[number];

export interface OutboundOptions {
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  /** Days after each contact in which answers, complaints and opt-outs count (default 3). */
  readonly followDays?: number | undefined;
  readonly policies?: Policies;
}

export interface OutboundGroup {
  /** The group: a channel, an activity, a local hour (`20`), a frequency (`1`, `2`, `3`, `4+`), or `sms 20`. */
  key: string;
  contacts: number;
  customers: number;
  /** CSAT answers (1–5) the customer gave within the follow-up window. */
  csat_n: number;
  csat: number | null;
  csat_ci95: [number, number] | null;
  /** Percent of contacts followed by a complaint. */
  complaint_pct: number;
  complaint_ci95: [number, number];
  /** Percent of contacts followed by an opt-out (a consent denial on the same channel). */
  opt_out_pct: number;
  opt_out_ci95: [number, number];
}

export interface OutboundFinding {
  by: OutboundBy;
  key: string;
  what: 'csat' | 'opt_out' | 'complaint';
  /** The group's value and the rest's (CSAT mean, or percent). */
  value: number;
  rest: number;
  /** value − rest, with its 95% interval (excludes 0: that is why it is a finding). */
  difference: number;
  ci95: [number, number];
  /** What the default engagement guard does with contacts like these. */
  guard: string;
}

export interface OutboundDoc {
  follow_days: number;
  contacts: number;
  overall: OutboundGroup;
  by_channel: OutboundGroup[];
  by_activity: OutboundGroup[];
  /** Hour of day in the customer's local time (consents' or profile's timezone; the guard's default zone otherwise). */
  by_hour: OutboundGroup[];
  /** Outbound contacts on the same channel in the 7 days up to and including this one. */
  by_frequency: OutboundGroup[];
  by_channel_hour: OutboundGroup[];
  by_activity_hour: OutboundGroup[];
  findings: OutboundFinding[];
  guard: {
    quiet_hours: { start: string; end: string; channels: readonly string[] };
    frequency_caps: { channel: string; max: number; days: number }[];
  };
  caution: string;
}

/** One outbound contact with what followed it. */
interface Contact {
  channel: string;
  activity: string;
  customer: string;
  hour: number;
  frequency: number;
  quiet: boolean;
  csatN: number;
  csatSum: number;
  csatSq: number;
  complaint: boolean;
  optOut: boolean;
}


const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 100];
  const p = k / n;
  const z2 = Z95 * Z95;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [round(Math.max(0, 100 * (centre - half))), round(Math.min(100, 100 * (centre + half)))];
}

interface Totals {
  contacts: number;
  customers: Set<string>;
  csatN: number;
  csatSum: number;
  csatSq: number;
  complaints: number;
  optOuts: number;
}

const empty = (): Totals => ({ contacts: 0, customers: new Set(), csatN: 0, csatSum: 0, csatSq: 0, complaints: 0, optOuts: 0 });

function add(t: Totals, c: Contact): void {
  t.contacts++;
  t.customers.add(c.customer);
  t.csatN += c.csatN;
  t.csatSum += c.csatSum;
  t.csatSq += c.csatSq;
  if (c.complaint) t.complaints++;
  if (c.optOut) t.optOuts++;
}

function variance(t: Pick<Totals, 'csatN' | 'csatSum' | 'csatSq'>): number {
  if (t.csatN < 2) return 0;
  return Math.max(0, (t.csatSq - (t.csatSum * t.csatSum) / t.csatN) / (t.csatN - 1));
}

function group(key: string, t: Totals): OutboundGroup {
  const mean = t.csatN === 0 ? null : t.csatSum / t.csatN;
  const half = t.csatN < 2 ? null : (Z95 * Math.sqrt(variance(t))) / Math.sqrt(t.csatN);
  return {
    key,
    contacts: t.contacts,
    customers: t.customers.size,
    csat_n: t.csatN,
    csat: mean === null ? null : round(mean),
    csat_ci95: mean === null ? null : half === null ? [1, 5] : [round(Math.max(1, mean - half)), round(Math.min(5, mean + half))],
    complaint_pct: t.contacts === 0 ? 0 : round((100 * t.complaints) / t.contacts),
    complaint_ci95: wilson(t.complaints, t.contacts),
    opt_out_pct: t.contacts === 0 ? 0 : round((100 * t.optOuts) / t.contacts),
    opt_out_ci95: wilson(t.optOuts, t.contacts),
  };
}

function frequencyKey(n: number): string {
  return n >= 4 ? '4+' : String(n);
}

/**
 * @example
 * const doc = await outboundReport(store, {});
 * doc.findings[0]; // { by: 'channel_hour', key: 'sms 20', what: 'csat', value: 2.1, rest: 3.9, difference: -1.8, ci95: [-2.1, -1.5], guard: '...' }
 */
export async function outboundReport(db: Queryable, options: OutboundOptions = {}): Promise<OutboundDoc> {
  const followDays = options.followDays ?? DEFAULT_FOLLOW_DAYS;
  if (!(followDays > 0 && followDays <= 90)) throw new AppError('usage', `--follow-days ${followDays} is not between 1 and 90`);
  if (options.from !== undefined && options.to !== undefined && options.from >= options.to) {
    throw new AppError('usage', 'the start of the period is not before its end');
  }
  const policies = options.policies ?? DEFAULT_POLICIES;
  const w = followDays * DAY_MS;
  const freqDays = 7;
  const params: SqlParam[] = [];
  const where = timeRangeSql('ts', options, params);
  // Each outbound contact with totals of what followed it, computed where the data is: one row
  // per contact comes back, never the answers or the consents.
  const rows = await db.query(
    `WITH o AS (
       SELECT event_id, ts, channel, activity, customer_key FROM interactions
       WHERE direction = 'outbound' AND customer_key IS NOT NULL AND ${where}
     ),
     csat AS (
       SELECT o.event_id, count(*) AS n, sum(f.score) AS s, sum(f.score * f.score) AS ss FROM o
       JOIN feedback f ON f.customer_key = o.customer_key AND f.metric = 'csat' AND f.ts > o.ts AND f.ts <= o.ts + ${w}
       GROUP BY o.event_id
     ),
     complaint AS (
       SELECT DISTINCT o.event_id FROM o
       JOIN interactions i ON i.customer_key = o.customer_key AND i.direction = 'inbound' AND i.ts > o.ts AND i.ts <= o.ts + ${w}
         AND i.intent IN ('complaint', 'complaints', 'complain')
       UNION
       SELECT DISTINCT o.event_id FROM o
       JOIN feedback f ON f.customer_key = o.customer_key AND f.ts > o.ts AND f.ts <= o.ts + ${w} AND f.comment IS NOT NULL
         AND ((f.metric = 'csat' AND f.score <= 1) OR (f.metric = 'nps' AND f.score <= 2) OR (f.metric = 'ces' AND f.score <= 1))
     ),
     opt_out AS (
       SELECT DISTINCT o.event_id FROM o
       JOIN consents c ON c.customer_key = o.customer_key AND c.channel = o.channel AND c.status = 'deny' AND c.ts > o.ts AND c.ts <= o.ts + ${w}
     ),
     freq AS (
       SELECT o.event_id, count(*) AS n FROM o
       JOIN interactions p ON p.customer_key = o.customer_key AND p.direction = 'outbound' AND p.channel = o.channel
         AND p.ts > o.ts - ${freqDays * DAY_MS} AND p.ts <= o.ts
       GROUP BY o.event_id
     )
     SELECT o.event_id, o.ts, o.channel, o.activity, o.customer_key,
       coalesce(csat.n, 0) AS csat_n, coalesce(csat.s, 0) AS csat_s, coalesce(csat.ss, 0) AS csat_ss,
       CASE WHEN complaint.event_id IS NULL THEN 0 ELSE 1 END AS complaint,
       CASE WHEN opt_out.event_id IS NULL THEN 0 ELSE 1 END AS opt_out,
       coalesce(freq.n, 1) AS frequency
     FROM o
     LEFT JOIN csat ON csat.event_id = o.event_id
     LEFT JOIN complaint ON complaint.event_id = o.event_id
     LEFT JOIN opt_out ON opt_out.event_id = o.event_id
     LEFT JOIN freq ON freq.event_id = o.event_id`,
    params,
  );

  const zones = await customerZones(db);
  const fallback = policies.quiet_hours.default_timezone;
  const q = policies.quiet_hours;
  const contacts: Contact[] = rows.map((r) => {
    const ts = Number(r.ts);
    const zone = zones.get(String(r.customer_key)) ?? fallback;
    const local = ts + zoneOffsetMs(zone, ts);
    const channel = String(r.channel);
    return {
      channel,
      activity: String(r.activity),
      customer: String(r.customer_key),
      hour: Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS),
      frequency: Number(r.frequency),
      quiet: q.channels.includes(channel) && quietUntil(ts, zone, q.start, q.end) !== null,
      csatN: Number(r.csat_n),
      csatSum: Number(r.csat_s),
      csatSq: Number(r.csat_ss),
      complaint: Number(r.complaint) === 1,
      optOut: Number(r.opt_out) === 1,
    };
  });

  const keyOf: Record<OutboundBy, (c: Contact) => string> = {
    channel: (c) => c.channel,
    activity: (c) => c.activity,
    hour: (c) => String(c.hour).padStart(2, '0'),
    frequency: (c) => frequencyKey(c.frequency),
    channel_hour: (c) => `${c.channel} ${String(c.hour).padStart(2, '0')}`,
    activity_hour: (c) => `${c.activity} ${String(c.hour).padStart(2, '0')}`,
  };
  const overall = empty();
  for (const c of contacts) add(overall, c);
  const groups = {} as Record<OutboundBy, Map<string, Totals>>;
  for (const by of OUTBOUND_BY) {
    const m = new Map<string, Totals>();
    for (const c of contacts) {
      const k = keyOf[by](c);
      let t = m.get(k);
      if (t === undefined) m.set(k, (t = empty()));
      add(t, c);
    }
    groups[by] = m;
  }
  const list = (by: OutboundBy): OutboundGroup[] =>
    [...groups[by]].sort((a, b) => (by === 'hour' || by === 'frequency' || by.endsWith('_hour') ? (a[0] < b[0] ? -1 : 1) : b[1].contacts - a[1].contacts || (a[0] < b[0] ? -1 : 1))).map(([k, t]) => group(k, t));

  const findings: OutboundFinding[] = [];
  for (const by of OUTBOUND_BY) {
    // Within the same channel's contacts for the channel-level breakdowns; against everything else otherwise.
    for (const [key, t] of groups[by]) {
      // One contact a week is the least there is: it cannot be "too frequent".
      if (by === 'frequency' && key === '1') continue;
      const members = contacts.filter((c) => keyOf[by](c) === key);
      const rest = restOf(by, key, contacts, keyOf[by]);
      const guard = guardWords(by, members, policies);
      if (t.csatN >= MIN_FINDING_N && rest.csatN >= MIN_FINDING_N) {
        const a = t.csatSum / t.csatN;
        const b = rest.csatSum / rest.csatN;
        const se = Math.sqrt(variance(t) / t.csatN + variance(rest) / rest.csatN);
        const d = a - b;
        if (se > 0 && d + FINDING_Z * se < 0) findings.push({ by, key, what: 'csat', value: round(a), rest: round(b), difference: round(d), ci95: [round(d - Z95 * se), round(d + Z95 * se)], guard });
      }
      for (const what of ['opt_out', 'complaint'] as const) {
        const k1 = what === 'opt_out' ? t.optOuts : t.complaints;
        const k2 = what === 'opt_out' ? rest.optOuts : rest.complaints;
        if (t.contacts < MIN_FINDING_N || rest.contacts < MIN_FINDING_N || k1 === 0) continue;
        const p1 = k1 / t.contacts;
        const p2 = k2 / rest.contacts;
        const se = Math.sqrt((p1 * (1 - p1)) / t.contacts + (p2 * (1 - p2)) / rest.contacts);
        const d = p1 - p2;
        if (se > 0 && d - FINDING_Z * se > 0) {
          findings.push({ by, key, what, value: round(100 * p1), rest: round(100 * p2), difference: round(100 * d), ci95: [round(100 * (d - Z95 * se)), round(100 * (d + Z95 * se))], guard });
        }
      }
    }
  }
  // The most specific and largest first: a bad hour of one campaign says more than a bad hour overall.
  const specificity: Record<OutboundBy, number> = { activity_hour: 0, channel_hour: 1, hour: 2, frequency: 3, activity: 4, channel: 5 };
  findings.sort((a, b) => specificity[a.by] - specificity[b.by] || Math.abs(b.difference) - Math.abs(a.difference));

  return {
    follow_days: followDays,
    contacts: contacts.length,
    overall: group('all', overall),
    by_channel: list('channel'),
    by_activity: list('activity'),
    by_hour: list('hour'),
    by_frequency: list('frequency'),
    by_channel_hour: list('channel_hour'),
    by_activity_hour: list('activity_hour'),
    findings,
    guard: {
      quiet_hours: { start: q.start, end: q.end, channels: q.channels },
      frequency_caps: policies.frequency_caps.map((c) => ({ channel: c.channel, max: c.max, days: c.days })),
    },
    caution:
      'What follows a contact, not what it causes: answers and opt-outs within the window are counted for every contact before them, ' +
      'and who is contacted when is itself chosen. A finding says where to look.',
  };
}

/** The contacts a group is compared with: the same channel's other contacts for channel-level groups. */
function restOf(by: OutboundBy, key: string, contacts: readonly Contact[], keyOf: (c: Contact) => string): Totals {
  const t = empty();
  const sameChannel = by === 'channel_hour' ? key.split(' ')[0] : null;
  const sameActivity = by === 'activity_hour' ? key.slice(0, key.lastIndexOf(' ')) : null;
  for (const c of contacts) {
    if (keyOf(c) === key) continue;
    if (sameChannel !== null && c.channel !== sameChannel) continue;
    if (sameActivity !== null && c.activity !== sameActivity) continue;
    add(t, c);
  }
  return t;
}

/** What the default guard does with the contacts of a group: their quiet hours and caps, in words. */
function guardWords(by: OutboundBy, members: readonly Contact[], policies: Policies): string {
  const q = policies.quiet_hours;
  if (by === 'hour' || by === 'channel_hour' || by === 'activity_hour') {
    const inQuiet = members.filter((c) => c.quiet).length;
    const share = members.length === 0 ? 0 : inQuiet / members.length;
    if (share >= 0.5) return `inside the guard's quiet hours (${q.start}–${q.end} local on ${q.channels.join(', ')}): the guard already defers these`;
    return `outside the guard's quiet hours (${q.start}–${q.end} local on ${q.channels.join(', ')}): the guard lets these through; consider widening the quiet hours to cover this hour`;
  }
  if (by === 'frequency') {
    const caps = policies.frequency_caps.filter((c) => members.some((m) => m.channel === c.channel));
    if (caps.length === 0) return 'no frequency cap covers these channels';
    const f = members[0]?.frequency ?? 1;
    const words = caps.map((c) => `${c.channel} ${c.max} per ${c.days} days (${c.kinds.join(', ')})`).join('; ');
    return caps.every((c) => f > c.max) ? `beyond the guard's caps (${words}): the guard stops offers like these` : `within the guard's caps (${words}): consider a tighter cap`;
  }
  return 'the guard has no rule by channel or kind alone';
}

/** Each customer's time zone: a consent's, else the profile's `timezone` trait. */
async function customerZones(db: Queryable): Promise<Map<string, string>> {
  const zones = new Map<string, string>();
  for (const r of await db.query(`SELECT customer_key, attrs FROM profiles WHERE customer_key IS NOT NULL AND attrs LIKE '%"timezone"%'`)) {
    try {
      const tz = (JSON.parse(String(r.attrs)) as Record<string, unknown>).timezone;
      if (typeof tz === 'string' && tz !== '' && validZone(tz)) zones.set(String(r.customer_key), tz);
    } catch {
      // Attributes that are not JSON name no zone.
    }
  }
  for (const r of await db.query(`SELECT customer_key, timezone FROM consents WHERE customer_key IS NOT NULL AND timezone IS NOT NULL ORDER BY ts`)) {
    if (validZone(String(r.timezone))) zones.set(String(r.customer_key), String(r.timezone));
  }
  return zones;
}

const checked = new Map<string, boolean>();
function validZone(zone: string): boolean {
  let ok = checked.get(zone);
  if (ok === undefined) {
    try {
      zoneOffsetMs(zone, 0);
      ok = true;
    } catch {
      ok = false;
    }
    checked.set(zone, ok);
  }
  return ok;
}
