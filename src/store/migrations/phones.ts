/**
 * Migration 9: phone numbers stored before DATA.md v2 were kept as bare digits (`2152063996`,
 * `12152063996`); they become E.164 (`+12152063996`) as an import now writes them. Spellings of
 * one number then become one identifier, so identity tuples that differed only in that spelling
 * become one tuple, and the graph is stitched again at once: a customer whose records were split
 * by the spelling is one customer as soon as the store is opened, not at its next merge.
 */
import { IDENTIFIER_TYPES } from '../../core/records.ts';
import { normalizeIdentifier } from '../../identity/normalize.ts';
import { restitch } from '../../identity/restitch.ts';
import { recordKeySql } from '../../ingest/import.ts';
import { DEFAULT_JOURNEY_WINDOW_MS, rebuildJourneys, WHOLE_HISTORY } from '../../journey/build.ts';
import { V1_KINDS } from '../schema.ts';
import type { Queryable, SqlDialect } from '../store.ts';

/** The tuple key an import computes (src/ingest/import.ts `tupleKey`), in SQL. */
const TUPLE_KEY_SQL = IDENTIFIER_TYPES.map((t) => `coalesce(${t}, '') || chr(31)`).join(' || ');

export async function renormalizePhones(tx: Queryable, sql: SqlDialect): Promise<void> {
  // 1. Every stored spelling, read again in the default region.
  const values = new Set<string>();
  const sources = ['id_tuples', ...V1_KINDS].map((t) => `SELECT DISTINCT phone FROM ${t} WHERE phone IS NOT NULL`);
  for await (const batch of tx.stream(`SELECT DISTINCT phone FROM (${sources.join(' UNION ALL ')}) p`)) {
    for (const r of batch) values.add(String(r.phone));
  }
  const changes: [string, string][] = [];
  for (const v of values) {
    const now = normalizeIdentifier('phone', v);
    if (now !== null && now !== v) changes.push([v, now]);
  }
  // A number that is not possible was kept as digits before too, and linked; now it links
  // nothing, which the stitch below applies even where no value changed.
  const [any] = await tx.query(`SELECT 1 AS x FROM id_tuples LIMIT 1`);
  if (any === undefined) return;
  if (changes.length > 0) await foldSpellings(tx, changes);
  await stitchAgain(tx, sql);
}

/** Writes the new spellings and makes tuples that became alike one tuple. */
async function foldSpellings(tx: Queryable, changes: readonly [string, string][]): Promise<void> {
  await tx.exec(`CREATE TEMP TABLE phone_map (old TEXT, new TEXT)`);
  for (let i = 0; i < changes.length; i += 10_000) await tx.bulkInsert('phone_map', ['old', 'new'], changes.slice(i, i + 10_000));
  for (const table of ['id_tuples', ...V1_KINDS]) {
    await tx.exec(`UPDATE ${table} SET phone = m.new FROM phone_map m WHERE ${table}.phone = m.old`);
  }
  await tx.exec(`DROP TABLE phone_map`);

  // 2. Tuples that now hold the same identifiers are one: the first keeps its id, the records of
  // the others move to it.
  await tx.exec(`CREATE TEMP TABLE retuple AS SELECT tuple_id, new_key, first_seq,
      min(tuple_id) OVER (PARTITION BY new_key) AS keep, min(first_seq) OVER (PARTITION BY new_key) AS keep_seq
    FROM (SELECT tuple_id, first_seq, ${TUPLE_KEY_SQL} AS new_key FROM id_tuples) t`);
  for (const kind of V1_KINDS) {
    await tx.exec(`UPDATE ${kind} SET tuple_id = r.keep FROM retuple r WHERE ${kind}.tuple_id = r.tuple_id AND r.keep <> r.tuple_id`);
  }
  await tx.exec(`DELETE FROM id_tuples WHERE tuple_id IN (SELECT tuple_id FROM retuple WHERE keep <> tuple_id)`);
  await tx.exec(`UPDATE id_tuples SET tuple_key = r.new_key, first_seq = r.keep_seq FROM retuple r
    WHERE id_tuples.tuple_id = r.tuple_id AND (id_tuples.tuple_key <> r.new_key OR id_tuples.first_seq <> r.keep_seq)`);
  await tx.exec(`DROP TABLE retuple`);
}

async function stitchAgain(tx: Queryable, sql: SqlDialect): Promise<void> {
  // 3. Stitch the whole graph (the rules version changed with the phone rule, which makes this a
  // full stitch), then give every record its tuple's key and rebuild the journeys of every
  // customer whose records moved, under the old key and the new.
  const [max] = await tx.query(`SELECT coalesce(max(tuple_id), 0) AS n FROM id_tuples`);
  await restitch(tx, Number(max!.n), () => undefined);
  await tx.exec(`DROP TABLE tuple_changes`);
  await tx.exec(`CREATE TEMP TABLE affected (customer_key TEXT, since BIGINT)`);
  await tx.exec(`CREATE TEMP TABLE affected_pairs (customer_key TEXT, intent TEXT, since BIGINT)`);
  const stale = `FROM interactions r JOIN id_tuples t ON r.tuple_id = t.tuple_id WHERE r.customer_key IS DISTINCT FROM ${recordKeySql('interactions', 't', 'r')}`;
  await tx.exec(`INSERT INTO affected SELECT DISTINCT r.customer_key, ${WHOLE_HISTORY} ${stale}`);
  await tx.exec(`INSERT INTO affected SELECT DISTINCT ${recordKeySql('interactions', 't', 'r')}, ${WHOLE_HISTORY} ${stale}`);
  for (const kind of V1_KINDS) {
    const key = recordKeySql(kind, 't', kind);
    await tx.exec(`UPDATE ${kind} SET customer_key = ${key} FROM id_tuples t WHERE ${kind}.tuple_id = t.tuple_id AND ${kind}.customer_key IS DISTINCT FROM ${key}`);
  }
  // The journey window a store was built with is not stored: the default is what most use, and
  // the next import with another window rebuilds what it touches.
  await rebuildJourneys(tx, DEFAULT_JOURNEY_WINDOW_MS, sql.stringAgg.bind(sql));
  await tx.exec(`DROP TABLE affected`);
  await tx.exec(`DROP TABLE affected_pairs`);
}
