/**
 * Timestamps: parsed once at the edge into UTC epoch milliseconds. The contract asks for ISO 8601
 * with `Z` or an offset, or integer epoch milliseconds. A timestamp without an offset is only
 * accepted when the caller names the zone it was written in: guessing would silently move events.
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

export type TimeResult = { ok: true; ms: number } | { ok: false; reason: string };

/**
 * The contract's range (DATA.md v2), whatever form a timestamp came in. Checked here, where
 * every way in parses its timestamps, because a value past it is not merely odd: 1e20 overflows
 * the stores' 64-bit columns and made every later merge fail, and past ±8.64e15 a Date is
 * invalid and every analysis that formats it throws.
 */
export const MIN_TIMESTAMP_MS = Date.UTC(1900, 0, 1);
export const MAX_TIMESTAMP_MS = Date.UTC(2200, 0, 1);

function inRange(ms: number, raw: unknown): TimeResult {
  if (ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS) return { ok: true, ms };
  return { ok: false, reason: `timestamp ${truncate(typeof raw === 'string' ? `"${raw}"` : String(raw))} is outside the contract's range, 1900-01-01 to 2200-01-01` };
}

/**
 * Parses a contract timestamp. `zone` (an IANA name, `UTC`, or `±HH:MM`) applies only to
 * timestamps written without an offset.
 */
export function parseTimestamp(raw: unknown, zone?: string): TimeResult {
  if (typeof raw === 'string') {
    const ms = commonIso(raw);
    if (ms !== null) return inRange(ms, raw);
  }
  return parseTimestampGeneral(raw, zone);
}

/** parseTimestamp without its fast path for the common shape: exported to test that they agree. */
export function parseTimestampGeneral(raw: unknown, zone?: string): TimeResult {
  const r = parseAnyTimestamp(raw, zone);
  return r.ok ? inRange(r.ms, raw) : r;
}

function parseAnyTimestamp(raw: unknown, zone?: string): TimeResult {
  if (typeof raw === 'number') {
    return Number.isInteger(raw) ? { ok: true, ms: raw } : { ok: false, reason: `timestamp ${raw} is not an integer of epoch milliseconds` };
  }
  const s = String(raw).trim();
  if (/^-?\d+$/.test(s)) {
    const ms = Number(s);
    // Ten digits are epoch seconds, which the contract does not allow: they would land in 1970.
    if (s.replace('-', '').length <= 10) return { ok: false, reason: `timestamp "${s}" looks like epoch seconds; the contract wants epoch milliseconds` };
    return Number.isSafeInteger(ms) ? { ok: true, ms } : { ok: false, reason: `timestamp "${s}" is out of range` };
  }
  const m = ISO.exec(s);
  if (m === null) return { ok: false, reason: `timestamp "${truncate(s)}" is not ISO 8601 or epoch milliseconds` };
  const [, y, mo, d, h = '0', mi = '0', se = '0', frac = '', off] = m;
  const fields = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(se), Number((frac + '000').slice(0, 3))] as const;
  const local = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5], fields[6]);
  const check = new Date(local);
  if (
    Number.isNaN(local) ||
    check.getUTCFullYear() !== fields[0] ||
    check.getUTCMonth() !== fields[1] - 1 ||
    check.getUTCDate() !== fields[2] ||
    check.getUTCHours() !== fields[3] ||
    check.getUTCMinutes() !== fields[4] ||
    check.getUTCSeconds() !== fields[5]
  ) {
    return { ok: false, reason: `timestamp "${truncate(s)}" is not a real date and time` };
  }
  if (off !== undefined) {
    if (off === 'Z' || off === 'z' || off === 'UTC') return { ok: true, ms: local };
    const sign = off[0] === '-' ? -1 : 1;
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 14 || om > 59) return { ok: false, reason: `timestamp "${truncate(s)}" has an impossible offset ${off}` };
    return { ok: true, ms: local - sign * (oh * 60 + om) * 60_000 };
  }
  if (zone === undefined) {
    return {
      ok: false,
      reason: `timestamp "${truncate(s)}" has no time zone offset; add one (Z or ±HH:MM) or import with --timezone <zone>`,
    };
  }
  return { ok: true, ms: zonedToUtc(local, zone) };
}

/** The value of the two digits at `i`, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The shape nearly every export writes, `YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM)`, read digit by
 * digit: the general path (a regular expression, a Date and six getters to reject impossible
 * dates) was an eighth of a process log's import. Null for anything else, which the general path
 * then reads, so this only ever agrees with it: years before 1000 (where Date.UTC reads 0–99
 * as 19xx) and hours, minutes, seconds or days out of range are left to it, to be refused there.
 */
function commonIso(s: string): number | null {
  const n = s.length;
  // 20: ...SSZ, 24: ...SS.sssZ, 25: ...SS+HH:MM, 29: ...SS.sss+HH:MM
  if (n !== 20 && n !== 24 && n !== 25 && n !== 29) return null;
  const t = s.charCodeAt(10);
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (t !== 84 && t !== 32) || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return null;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  const se = two(s, 17);
  if (y1 < 10 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return null;
  const y = y1 * 100 + y2;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return null;
  let i = 19;
  let frac = 0;
  if (n === 24 || n === 29) {
    if (s.charCodeAt(19) !== 46) return null;
    const f1 = two(s, 20);
    const f3 = s.charCodeAt(22) - 48;
    if (f1 < 0 || f3 < 0 || f3 > 9) return null;
    frac = f1 * 10 + f3;
    i = 23;
  }
  const local = Date.UTC(y, mo - 1, d, h, mi, se, frac);
  if (n === 20 || n === 24) return s.charCodeAt(i) === 90 ? local : null;
  const sign = s.charCodeAt(i);
  const oh = two(s, i + 1);
  const om = two(s, i + 4);
  if ((sign !== 43 && sign !== 45) || s.charCodeAt(i + 3) !== 58 || oh < 0 || oh > 14 || om < 0 || om > 59) return null;
  return local - (sign === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
}

function truncate(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when `zone` is usable: `UTC`, `±HH:MM` or an IANA name this runtime knows. */
export function isValidZone(zone: string): boolean {
  if (/^(UTC|Z|[+-]\d{2}:?\d{2})$/.test(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Offset of `zone` from UTC at the instant `utcMs`, in milliseconds. */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  if (zone === 'UTC' || zone === 'Z') return 0;
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed !== null) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** A wall-clock time in `zone` (given as if it were UTC) → the real UTC instant. */
export function zonedToUtc(localAsUtc: number, zone: string): number {
  const first = localAsUtc - zoneOffsetMs(zone, localAsUtc);
  // Near a DST change the offset at the guess can differ from the offset at the answer.
  return localAsUtc - zoneOffsetMs(zone, first);
}

export function toIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
