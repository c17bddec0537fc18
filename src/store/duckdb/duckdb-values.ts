/**
 * The one place where DuckDB values become plain JSON. Everything above the store sees
 * numbers, strings, booleans, null, arrays and objects — never a bigint or a DuckDB class.
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
} from '@duckdb/node-api';
import type { DuckDBValue } from '@duckdb/node-api';
import type { Json } from '../store.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** Integers within ±2^53 become numbers; larger ones become decimal strings rather than lose digits. */
export function bigintToJson(v: bigint): number | string {
  return v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v.toString();
}

function microsToIso(micros: bigint): string {
  // Millisecond precision is all the product keeps; Date cannot hold the extreme sentinel values.
  const ms = Number(micros / 1000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? micros.toString() : d.toISOString();
}

export function toJson(value: DuckDBValue): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return bigintToJson(value);
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return microsToIso(value.micros);
  if (value instanceof DuckDBTimestampMillisecondsValue) return microsToIso(value.millis * 1000n);
  if (value instanceof DuckDBTimestampSecondsValue) return microsToIso(value.seconds * 1_000_000n);
  if (value instanceof DuckDBTimestampNanosecondsValue) return microsToIso(value.nanos / 1000n);
  if (value instanceof DuckDBDateValue) return value.toString();
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBIntervalValue) {
    // An interval becomes seconds; months are taken as 30 days, as DuckDB's epoch() does.
    return (value.months * 30 + value.days) * 86400 + Number(value.micros) / 1e6;
  }
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(toJson);
  if (value instanceof DuckDBStructValue) {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value.entries)) out[k] = toJson(v);
    return out;
  }
  if (value instanceof DuckDBMapValue) {
    const out: Record<string, Json> = {};
    for (const { key, value: v } of value.entries) out[String(toJson(key))] = toJson(v);
    return out;
  }
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('base64');
  // UUID, TIME, BIT, ENUM, VARIANT and the rest: their string form is the readable one.
  return String(value);
}

/**
 * A chunk's rows from its columns (`getColumns`, about a fifth cheaper than `getRows` in
 * @duckdb/node-api: it dominates reading many rows into the server's live cache). Every row gets
 * its properties in the same order, so they share one shape.
 */
export function columnsToRows(names: readonly string[], columns: readonly (readonly DuckDBValue[])[], count: number): Record<string, Json>[] {
  const rows: Record<string, Json>[] = new Array<Record<string, Json>>(count);
  for (let r = 0; r < count; r++) rows[r] = {};
  for (let c = 0; c < names.length; c++) {
    const name = names[c]!;
    const column = columns[c]!;
    for (let r = 0; r < count; r++) rows[r]![name] = toJson(column[r] ?? null);
  }
  return rows;
}
