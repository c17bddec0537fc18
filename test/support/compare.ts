/**
 * Compares two JSON documents the way a user comparing two stores' output would: exactly, except
 * that non-integer numbers are compared to 6 significant digits (engines sum doubles in
 * different orders, so the last bits of an average differ). A failure lists the paths that
 * differ, not a wall of JSON.
 */
import assert from 'node:assert/strict';

const SIGNIFICANT = 6;

function roundFloat(n: number): number {
  if (Number.isInteger(n) || !Number.isFinite(n)) return n;
  return Number(n.toPrecision(SIGNIFICANT));
}

/** The document as JSON would carry it, floats rounded. */
export function normalise(v: unknown): unknown {
  const json: unknown = v === undefined ? null : JSON.parse(JSON.stringify(v));
  const walk = (x: unknown): unknown => {
    if (typeof x === 'number') return roundFloat(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(json);
}

/** Paths where two normalised documents differ, with both values; at most `limit`. */
export function differences(a: unknown, b: unknown, limit = 12): string[] {
  const out: string[] = [];
  const show = (x: unknown): string => {
    const s = JSON.stringify(x);
    return s === undefined ? 'undefined' : s.length > 160 ? `${s.slice(0, 160)}…` : s;
  };
  const walk = (x: unknown, y: unknown, at: string): void => {
    if (out.length >= limit) return;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) out.push(`${at}: ${x.length} items vs ${y.length}`);
      for (let i = 0; i < Math.min(x.length, y.length); i++) walk(x[i], y[i], `${at}[${i}]`);
      return;
    }
    if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}.${k}`);
      return;
    }
    if (!Object.is(x, y)) out.push(`${at}: ${show(x)} vs ${show(y)}`);
  };
  walk(a, b, '$');
  return out;
}

export function assertSameDocument(duck: unknown, pg: unknown, what: string): void {
  const a = normalise(duck);
  const b = normalise(pg);
  const diff = differences(a, b);
  assert.ok(diff.length === 0, `${what}: DuckDB and PostgreSQL differ (DuckDB first)\n  ${diff.join('\n  ')}`);
}
