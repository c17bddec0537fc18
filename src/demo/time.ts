/**
 * US time zones with their daylight-saving rule, computed by hand rather than with Intl: the
 * demo formats about a million local timestamps and Intl is far too slow for that, and the
 * US rule (second Sunday of March to first Sunday of November, 02:00 local) is all it needs.
 */

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const MINUTE = 60_000;

export interface Zone {
  readonly name: string;
  /** Standard-time offset from UTC in minutes (negative west of Greenwich). */
  readonly std: number;
  readonly dst: boolean;
  /** Area codes for phone numbers of people living there. */
  readonly areaCodes: readonly string[];
  readonly weight: number;
}

export const ZONES: readonly Zone[] = [
  { name: 'America/New_York', std: -300, dst: true, areaCodes: ['212', '617', '404', '305', '215', '313'], weight: 40 },
  { name: 'America/Chicago', std: -360, dst: true, areaCodes: ['312', '214', '713', '612', '314'], weight: 25 },
  { name: 'America/Denver', std: -420, dst: true, areaCodes: ['303', '801', '505'], weight: 7 },
  { name: 'America/Phoenix', std: -420, dst: false, areaCodes: ['602', '520'], weight: 3 },
  { name: 'America/Los_Angeles', std: -480, dst: true, areaCodes: ['415', '213', '206', '503', '619'], weight: 22 },
  { name: 'America/Anchorage', std: -540, dst: true, areaCodes: ['907'], weight: 1 },
  { name: 'Pacific/Honolulu', std: -600, dst: false, areaCodes: ['808'], weight: 2 },
];

/** DST windows per zone, indexed by year: a Map lookup per timestamp is measurable at a million rows. */
const transitions = new Map<Zone, (readonly [number, number])[]>();

function firstSunday(year: number, month: number): number {
  const weekday = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - weekday) % 7);
}

function dstWindow(zone: Zone, year: number): readonly [number, number] {
  let years = transitions.get(zone);
  if (years === undefined) {
    years = [];
    transitions.set(zone, years);
  }
  let window = years[year];
  if (window === undefined) {
    const start = Date.UTC(year, 2, firstSunday(year, 2) + 7, 2) - zone.std * MINUTE;
    const end = Date.UTC(year, 10, firstSunday(year, 10), 2) - (zone.std + 60) * MINUTE;
    window = [start, end];
    years[year] = window;
  }
  return window;
}

/** Offset from UTC in minutes at the instant `utc`. */
export function offsetAt(zone: Zone, utc: number): number {
  if (!zone.dst) return zone.std;
  const [start, end] = dstWindow(zone, new Date(utc).getUTCFullYear());
  return utc >= start && utc < end ? zone.std + 60 : zone.std;
}

/** The instant of a wall-clock time, given as if it were UTC milliseconds. */
export function localToUtc(zone: Zone, wallMs: number): number {
  const guess = wallMs - zone.std * MINUTE;
  return wallMs - offsetAt(zone, guess) * MINUTE;
}

/** Milliseconds since local midnight. */
export function localTimeOfDay(zone: Zone, utc: number): number {
  const wall = utc + offsetAt(zone, utc) * MINUTE;
  return ((wall % DAY) + DAY) % DAY;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

/** `YYYY-MM-DDT` per day number: Date#toISOString per row was the generator's hottest call. */
const dayPrefixes = new Map<number, string>();

/** `YYYY-MM-DDTHH:MM:SS` (and `.mmm`) of milliseconds read as UTC. */
function formatClock(ms: number, millis: boolean): string {
  const day = Math.floor(ms / DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * DAY;
  const h = Math.floor(rest / HOUR);
  rest -= h * HOUR;
  const m = Math.floor(rest / MINUTE);
  rest -= m * MINUTE;
  const sec = Math.floor(rest / 1000);
  const clock = `${prefix}${pad2(h)}:${pad2(m)}:${pad2(sec)}`;
  return millis ? `${clock}.${pad3(rest - sec * 1000)}` : clock;
}

/** `2026-06-01T09:03:00-05:00`: the wall-clock time where the person is, with its offset. */
export function formatLocal(zone: Zone, utc: number): string {
  const offset = offsetAt(zone, utc);
  const wall = formatClock(Math.floor(utc / 1000) * 1000 + offset * MINUTE, false);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${wall}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** `2026-06-01T14:03:00Z`, or with milliseconds the way clickstream collectors write it. */
export function formatUtc(utc: number, millis: boolean): string {
  return `${formatClock(utc, millis)}Z`;
}

/** `HH:MM` to minutes after midnight. */
export function clockMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}
