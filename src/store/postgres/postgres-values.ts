/**
 * The one place where PostgreSQL values become plain JSON: BIGINT (int8) and NUMERIC arrive as
 * strings from the driver and become numbers when they fit, exactly as the DuckDB store does.
 */
import pg from 'pg';

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
