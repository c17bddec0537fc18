/** Numbers and times as people read them; a missing value is an en dash, never "NaN". */

const DASH = '–';
const intFmt = new Intl.NumberFormat('en-GB');

export function int(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? DASH : intFmt.format(Math.round(n));
}

export function fixed(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? DASH : n.toFixed(digits);
}

/** A share in 0–1 as a percent. */
export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? DASH : `${(x * 100).toFixed(digits)}%`;
}

/** An NPS in −100…100 with its sign. */
export function nps(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  const r = Math.round(x);
  return r > 0 ? `+${r}` : String(r);
}

export function interval(ci: readonly [number, number] | null | undefined, digits = 0): string {
  return ci === null || ci === undefined ? '' : `${ci[0].toFixed(digits)} to ${ci[1].toFixed(digits)}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return DASH;
  const d = new Date(iso);
  // With its zone: a time read without one is read in the wrong one by half the team.
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
}

export function date(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
}

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return DASH;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

/** `web:pay_bill/submit_payment` → channel and activity. */
export function splitStep(id: string): { channel: string; activity: string } {
  const i = id.indexOf(':');
  return i < 0 ? { channel: '', activity: id } : { channel: id.slice(0, i), activity: id.slice(i + 1) };
}

export function words(id: string): string {
  return id.replace(/[_]+/g, ' ');
}
