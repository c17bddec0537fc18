/**
 * Customer lookup by any identifier (`phone:5551234567`) or by customer key, and the customer
 * summary that `customers show` and the API return.
 */
import { AppError } from '../core/errors.ts';
import { CUSTOMER_KINDS, IDENTIFIER_TYPES } from '../core/records.ts';
import type { Identifier, Kind } from '../core/records.ts';
import type { Queryable } from '../store/store.ts';
import { isPlaceholder, parseIdentifier } from './normalize.ts';

export interface CustomerSummary {
  customer_key: string;
  identifiers: { type: string; value: string; links: boolean }[];
  records: Record<Kind, number>;
  journeys: number;
  first_seen: string | null;
  last_seen: string | null;
}

/** Resolves `type:value` (or a customer key) to exactly one customer key, or says why not. */
export async function resolveCustomer(db: Queryable, text: string): Promise<string> {
  if (isCustomerKey(text)) {
    if (!(await customerKeyExists(db, text))) throw new AppError('not_found', `no customer has key ${text}`);
    return text;
  }
  const id = parseIdentifier(text);
  return pickCustomer(id, await identifierKeys(db, id));
}

/** Customer keys look like `c-0123456789ab` (stitched) or `r-0123456789ab` (a record alone). */
export function isCustomerKey(text: string): boolean {
  return /^(c|r)-[0-9a-f]{12}(-\d+)?$/.test(text);
}

export async function customerKeyExists(db: Queryable, key: string): Promise<boolean> {
  const [hit] = await db.query(`SELECT 1 AS x FROM id_tuples WHERE customer_key = $1 LIMIT 1`, [key]);
  const [rec] = hit ? [hit] : await db.query(`SELECT 1 AS x FROM interactions WHERE customer_key = $1 LIMIT 1`, [key]);
  return rec !== undefined;
}

/**
 * The keys of every identifier tuple holding `id` (null for tuples that link nothing), distinct,
 * in byte order with null last. Ordering and de-duplication happen here rather than in SQL: a
 * plain filtered scan is several times cheaper in DuckDB than one with DISTINCT and ORDER BY.
 */
export async function identifierKeys(db: Queryable, id: Identifier): Promise<(string | null)[]> {
  const rows = await db.query(`SELECT customer_key FROM id_tuples WHERE ${id.type} = $1`, [id.value]);
  return orderKeys([...new Set(rows.map((r) => (r.customer_key as string | null) ?? null))]);
}

/** The order `identifierKeys` gives: byte order, null last. */
export function orderKeys(keys: (string | null)[]): (string | null)[] {
  return keys.sort((a, b) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1));
}

/** The one customer `id` names, given the keys of the tuples holding it, or why there is none. */
export function pickCustomer(id: Identifier, keys: readonly (string | null)[]): string {
  if (keys.length === 0) {
    throw new AppError('not_found', `no record has ${id.type}:${id.value}`, { hint: 'check the value, or look the customer up by another identifier' });
  }
  const linked = keys.filter((k): k is string => k !== null);
  const placeholder = isPlaceholder(id.type, id.value);
  if (!placeholder && linked.length === 1) return linked[0]!;
  const why = placeholder ? 'is a placeholder value' : linked.length > 1 ? 'is shared by several customers' : 'links no records together';
  throw new AppError('conflict', `${id.type}:${id.value} ${why}${linked.length > 0 ? ` (${linked.join(', ')})` : ''}, so it names no single customer`, {
    hint: 'look the customer up by customer_id or account_id',
  });
}

export async function customerSummary(db: Queryable, key: string): Promise<CustomerSummary> {
  const idRows = await db.query(
    // Values in byte order on both stores (COLLATE "C"); the union is wrapped because
    // PostgreSQL orders a union's result by bare column names only.
    'SELECT * FROM (' +
      IDENTIFIER_TYPES.map((t, i) => `SELECT DISTINCT ${i} AS o, '${t}' AS type, ${t} AS value FROM id_tuples WHERE customer_key = $1 AND ${t} IS NOT NULL`).join(' UNION ALL ') +
      ') u ORDER BY o, value COLLATE "C"',
    [key],
  );
  const counts = await db.query(CUSTOMER_KINDS.map((k) => `SELECT '${k}' AS kind, count(*) AS n FROM ${k} WHERE customer_key = $1`).join(' UNION ALL '), [key]);
  const records = Object.fromEntries(CUSTOMER_KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  for (const r of counts) records[r.kind as Kind] = Number(r.n);
  const [span] = await db.query(
    `SELECT min(ts) AS first, max(ts) AS last FROM (SELECT ts FROM interactions WHERE customer_key = $1 UNION ALL SELECT ts FROM feedback WHERE customer_key = $1) a`,
    [key],
  );
  const [j] = await db.query(`SELECT count(*) AS n FROM journeys WHERE customer_key = $1`, [key]);
  const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());
  return {
    customer_key: key,
    identifiers: idRows.map((r) => ({
      type: r.type as string,
      value: r.value as string,
      links: !isPlaceholder(r.type as (typeof IDENTIFIER_TYPES)[number], r.value as string),
    })),
    records,
    journeys: Number(j!.n),
    first_seen: iso(span?.first),
    last_seen: iso(span?.last),
  };
}
