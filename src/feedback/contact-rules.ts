/**
 * Whether a customer may be surveyed now (docs/feedback.md, "Contact rules"): a cooldown across
 * every survey, at most N surveys per period, and never while they have an open case. Past
 * surveys are the invitations Throughline sent, the survey invites found among imported
 * outbound interactions, and the answers imported from other survey tools.
 */
import { zonedToUtc, zoneOffsetMs } from '../core/time.ts';
import type { Queryable } from '../store/store.ts';
import type { ContactRules } from './survey-definition.ts';

const DAY = 24 * 3600 * 1000;

export type ContactDecision = { ok: true } | { ok: false; rule: 'opted_out' | 'open_case' | 'cooldown' | 'max_per_period'; reason: string };

/** Outbound interactions that are survey invitations: `survey/...` activities or the `survey` intent. */
const INVITES = `SELECT ts FROM interactions WHERE customer_key = $1 AND direction = 'outbound' AND (activity LIKE 'survey/%' OR intent = 'survey')`;

export async function contactDecision(db: Queryable, customerKey: string, rules: ContactRules, now: number): Promise<ContactDecision> {
  // A customer who replied STOP to a survey is never surveyed again, whatever the survey's rules.
  const [stopped] = await db.query(`SELECT max(updated_at) AS ts FROM survey_sessions WHERE customer_key = $1 AND status = 'opted_out'`, [customerKey]);
  if (stopped?.ts !== null && stopped?.ts !== undefined) {
    return { ok: false, rule: 'opted_out', reason: `the customer opted out of surveys on ${new Date(Number(stopped.ts)).toISOString().slice(0, 10)}` };
  }
  if (rules.skip_if_open_case) {
    const [open] = await db.query(`SELECT case_id FROM cases WHERE customer_key = $1 AND status IN ('open', 'contacted') LIMIT 1`, [customerKey]);
    if (open !== undefined) return { ok: false, rule: 'open_case', reason: `the customer has an open case (${String(open.case_id)}); settle it before asking again` };
  }
  if (rules.cooldown_days > 0) {
    const [last] = await db.query(
      `SELECT max(ts) AS ts FROM (
         SELECT created_at AS ts FROM survey_tokens WHERE customer_key = $1
         UNION ALL ${INVITES}
         UNION ALL SELECT ts FROM feedback WHERE customer_key = $1) s WHERE ts <= $2`,
      [customerKey, now],
    );
    const ts = last?.ts === null || last?.ts === undefined ? null : Number(last.ts);
    if (ts !== null && now - ts < rules.cooldown_days * DAY) {
      const days = Math.floor((now - ts) / DAY);
      return { ok: false, rule: 'cooldown', reason: `the customer was surveyed ${days === 0 ? 'today' : `${days} day(s) ago`}; the cooldown is ${rules.cooldown_days} days` };
    }
  }
  if (rules.max_per_period !== null) {
    const { count, days } = rules.max_per_period;
    const [n] = await db.query(
      `SELECT count(*) AS n FROM (
         SELECT created_at AS ts FROM survey_tokens WHERE customer_key = $1
         UNION ALL ${INVITES}) s WHERE ts > $2 AND ts <= $3`,
      [customerKey, now - days * DAY, now],
    );
    if (Number(n?.n ?? 0) >= count) return { ok: false, rule: 'max_per_period', reason: `the customer already had ${count} survey(s) in the last ${days} days` };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------
// When a promised callback may happen

/**
 * Quiet hours for a call when the customer's consents name none: the same window as the
 * engagement policy's default (docs/engagement.md); a consent's own quiet hours win.
 */
export const DEFAULT_QUIET_HOURS = { start: '21:00', end: '08:00' } as const;

export interface CallHours {
  readonly zone: string;
  readonly quiet_start: string;
  readonly quiet_end: string;
  /** Where the window comes from, for the case note. */
  readonly source: string;
}

const MINUTE = 60_000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The customer's quiet hours for a call: their call (or phone) consent's, else their SMS consent's, else the default. */
export async function callHours(db: Queryable, customerKey: string, fallbackZone: string): Promise<CallHours> {
  const rows = await db.query(
    `SELECT channel, timezone, quiet_start, quiet_end FROM consents WHERE customer_key = $1 AND lower(channel) IN ('call', 'phone', 'voice', 'sms') ORDER BY seq DESC`,
    [customerKey],
  );
  const rank = (c: string): number => (c === 'sms' ? 1 : 0);
  const usable = rows
    .map((r) => ({ channel: String(r.channel).toLowerCase(), zone: r.timezone === null ? null : String(r.timezone), start: String(r.quiet_start ?? ''), end: String(r.quiet_end ?? '') }))
    .sort((a, b) => rank(a.channel) - rank(b.channel));
  const zone = usable.find((r) => r.zone !== null)?.zone ?? fallbackZone;
  const own = usable.find((r) => HHMM.test(r.start) && HHMM.test(r.end));
  if (own !== undefined) return { zone, quiet_start: own.start, quiet_end: own.end, source: `the customer's ${own.channel} quiet hours` };
  return { zone, quiet_start: DEFAULT_QUIET_HOURS.start, quiet_end: DEFAULT_QUIET_HOURS.end, source: 'default quiet hours' };
}

/** The time a customer asked to be called at (src/feedback/reply-reader.ts). */
export interface AskedCallTime {
  readonly day: number;
  readonly minute: number;
  readonly relation: 'after' | 'before' | 'at';
}

function safeZone(zone: string): string {
  try {
    zoneOffsetMs(zone, 0);
    return zone;
  } catch {
    return 'UTC';
  }
}

/** Local midnight (as a UTC-shifted instant) and minute of the day of `ts` in `zone`. */
function localClock(ts: number, zone: string): { local: number; dayStart: number; minute: number } {
  const local = ts + zoneOffsetMs(zone, ts);
  const dayStart = local - (((local % DAY) + DAY) % DAY);
  return { local, dayStart, minute: Math.floor((local - dayStart) / MINUTE) };
}

/** The end of the quiet window `ts` is in, or null when `ts` is outside it. */
function quietEnd(ts: number, h: CallHours): number | null {
  const s = minutesOf(h.quiet_start);
  const e = minutesOf(h.quiet_end);
  if (s === e) return null;
  const { local, dayStart, minute } = localClock(ts, h.zone);
  const inside = s < e ? minute >= s && minute < e : minute >= s || minute < e;
  if (!inside) return null;
  let end = dayStart + e * MINUTE;
  if (end <= local) end += DAY;
  return zonedToUtc(end, h.zone);
}

/** The start of the quiet window `ts` is in (the last moment before it), if `ts` is inside one. */
function quietStart(ts: number, h: CallHours): number | null {
  if (quietEnd(ts, h) === null) return null;
  const s = minutesOf(h.quiet_start);
  const { local, dayStart } = localClock(ts, h.zone);
  let start = dayStart + s * MINUTE;
  if (start > local) start -= DAY;
  return zonedToUtc(start, h.zone);
}

/**
 * The time to promise a callback for, never inside the customer's quiet hours. A time they asked
 * for is its next occurrence ("after 5" at 18:00 is tomorrow's 17:00); without one, `defaultMs`
 * from now. Inside quiet hours, an asked-for time moves to the end of the window (the customer
 * said "not before"), and a default deadline back to the window's start when that is still an
 * hour away, else to its end.
 */
export function promisedCallTime(now: number, asked: AskedCallTime | null, hours: CallHours, defaultMs: number): { at: number; relation: 'after' | 'before' | 'by'; moved: boolean } {
  const h = { ...hours, zone: safeZone(hours.zone) };
  if (asked === null) {
    const due = now + defaultMs;
    const start = quietStart(due, h);
    if (start === null) return { at: due, relation: 'by', moved: false };
    const at = start - now >= 3600_000 ? start : quietEnd(due, h)!;
    return { at, relation: 'by', moved: true };
  }
  const { dayStart } = localClock(now, h.zone);
  let at = zonedToUtc(dayStart + asked.day * DAY + asked.minute * MINUTE, h.zone);
  if (at <= now) {
    // "After 5" said at 18:00 is any time from now; "at 3" or "before noon" once passed is tomorrow's.
    at = asked.relation === 'after' && asked.day === 0 ? now : zonedToUtc(dayStart + (asked.day + 1) * DAY + asked.minute * MINUTE, h.zone);
  }
  const end = quietEnd(at, h);
  if (end === null) return { at, relation: asked.relation === 'before' ? 'before' : 'after', moved: false };
  return { at: end, relation: 'after', moved: true };
}
