/**
 * The one place where PostgreSQL values become plain JSON: BIGINT (int8) and NUMERIC arrive as
 * strings from the driver and become numbers when they fit, exactly as the DuckDB store does.
 * And the way back: text PostgreSQL cannot hold is made storable before it is sent.
 */
import pg from 'pg';

import type { SqlParam } from '../store.ts';

const INT8 = 20;
const NUMERIC = 1700;
const MAX = Number.MAX_SAFE_INTEGER;

export function int8ToJson(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) && Math.abs(n) <= MAX ? n : text;
}

/** Type parsers for one pool: only int8 and numeric differ from pg's defaults. */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8) return int8ToJson;
    if (oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * PostgreSQL text cannot hold NUL (U+0000), which a JSON string or a Segment property can carry
 * and DuckDB stores: one such character made the whole COPY or statement fail ("invalid byte
 * sequence for encoding UTF8: 0x00"), failing an import or a collector batch for every record
 * in it. It is stored as U+FFFD, the replacement character, instead.
 */
export function pgText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

/** Statement parameters as PostgreSQL can take them (pgText on text). */
export function pgParams(params: readonly SqlParam[] | undefined): SqlParam[] | undefined {
  return params === undefined ? undefined : params.map((v) => (typeof v === 'string' ? pgText(v) : v));
}
