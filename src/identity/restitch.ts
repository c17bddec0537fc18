/**
 * Stitching inside an import's merge, after the new identity tuples are stored: gives every
 * tuple whose customer changed its new key, and keeps each tuple's component up to date. Only
 * the components the new tuples reach are loaded and resolved; the result is the same as
 * resolving the whole graph (docs/identity.md, "How stitching stays incremental").
 */
import { collectGarbage } from '../core/memory.ts';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Identifiers } from '../core/records.ts';
import type { Queryable, Row, SqlParam } from '../store/store.ts';
import { isPlaceholder } from './normalize.ts';
import { IdentityGraph, keyString, STITCH_RULES_VERSION } from './stitch.ts';
import type { IdTuple, Resolution } from './stitch.ts';

export interface Restitched {
  /** Stored tuples (ids up to `lastOldTuple`) whose key changed: their records move customer. */
  readonly rekeyed: number;
  /** `full` on a store without components (or stitched under other rules), or a large import. */
  readonly mode: 'full' | 'incremental';
  /** Tuples loaded and resolved. */
  readonly tuples: number;
}

/**
 * When a full resolve is cheaper: it streams every tuple, while an incremental one first looks
 * up every identifier of the new tuples and then loads the components they touch, which for an
 * import a good share the size of the store (a first import is all new) is most of it anyway.
 * Both give the same keys, so this is only about cost. Measured on a store of 573,000 tuples
 * (1M events): 20,000 new tuples stitched incrementally in 1.7 s, against about 10 s in full.
 * Below FULL_MIN new tuples the incremental path is always taken, on small stores too.
 */
const FULL_SHARE = 0.25;
const FULL_MIN = 20_000;

// No first_seq: every load is ordered by it in SQL, which is the order the graph needs.
const COLUMNS = `tuple_id, customer_key, component_id, ${IDENTIFIER_TYPES.join(', ')}`;

/** Rows written to the store at a time. */
const CHUNK = 100_000;

/** A full stitch of this many tuples or more borrows memory from the database (`restitch`). */
const LEND_MIN_TUPLES = 1_000_000;

function toTuple(r: Row): IdTuple {
  return {
    tuple_id: Number(r.tuple_id),
    first_seq: 0,
    customer_key: (r.customer_key as string | null) ?? null,
    component_id: r.component_id === null || r.component_id === undefined ? null : Number(r.component_id),
    // The row has one column per identifier type, named as Identifiers' fields.
    ids: r as unknown as Identifiers,
  };
}

const changed = (a: number, b: number): boolean => a !== b && !(Number.isNaN(a) && Number.isNaN(b));

/**
 * Stitches after new tuples (every tuple id above `lastOldTuple`) were inserted into id_tuples,
 * inside the merge's transaction. Leaves the key changes in the temp table
 * `tuple_changes (tuple_id, customer_key, component_id)` for the merge's next steps.
 */
export async function restitch(tx: Queryable, lastOldTuple: number, phase: (name: string) => void): Promise<Restitched> {
  const [counted] = await tx.query(`SELECT count(*) AS n FROM id_tuples WHERE tuple_id > ${lastOldTuple}`);
  const fresh = Number(counted!.n);
  const [rules] = await tx.query(`SELECT value FROM settings WHERE key = 'stitch_rules'`);
  // A store whose keys were stitched under other rules, or whose tuples were stored before
  // components were kept (migration 7 adds the column empty), is resolved in full once.
  const [unplaced] = await tx.query(`SELECT 1 AS x FROM id_tuples WHERE tuple_id <= ${lastOldTuple} AND component_id IS NULL LIMIT 1`);
  const full = rules?.value !== String(STITCH_RULES_VERSION) || unplaced !== undefined || fresh > Math.max(FULL_MIN, lastOldTuple * FULL_SHARE);

  // A large full stitch holds about 100 bytes a tuple here (5.7M tuples at 10M records): the
  // database lends memory for it where it shares the process (Queryable.lendMemory).
  const [all] = full ? await tx.query(`SELECT count(*) AS n FROM id_tuples`) : [{ n: 0 }];
  const lending = Number(all!.n) >= LEND_MIN_TUPLES && tx.lendMemory !== undefined;
  const stitchAndWrite = async (): Promise<Written & { tuples: number }> => {
    const { graph, resolution } = full ? await resolveAll(tx, phase) : await resolveTouched(tx, lastOldTuple, fresh, phase);
    const component = graph.components();
    phase('stitch');
    return { ...(await writeChanges(tx, graph, resolution, component, lastOldTuple)), tuples: graph.size };
  };
  const { rekeyed, keyChanges, componentChanges, tuples } = lending
    ? await tx.lendMemory!(async () => {
        const written = await stitchAndWrite();
        // The graph is garbage now: free it before the database takes its memory back.
        collectGarbage();
        return written;
      })
    : await stitchAndWrite();
  if (keyChanges > 0) {
    await tx.exec(`UPDATE id_tuples SET customer_key = c.customer_key, component_id = coalesce(c.component_id, id_tuples.component_id)
      FROM tuple_changes c WHERE id_tuples.tuple_id = c.tuple_id`);
  }
  if (componentChanges > 0) {
    await tx.exec(`UPDATE id_tuples SET component_id = c.component_id FROM component_changes c WHERE id_tuples.tuple_id = c.tuple_id`);
  }
  await tx.exec(`DROP TABLE component_changes`);
  if (full) {
    await tx.exec(`DELETE FROM settings WHERE key = 'stitch_rules'`);
    await tx.exec(`INSERT INTO settings (key, value) VALUES ('stitch_rules', $1)`, [String(STITCH_RULES_VERSION)]);
  }
  phase('store key changes');
  return { rekeyed, mode: full ? 'full' : 'incremental', tuples };
}

interface Resolved {
  readonly graph: IdentityGraph;
  readonly resolution: Resolution;
}

/**
 * The whole graph. No identifier strings in memory: the store numbers them, and names only the
 * nodes new keys are minted from.
 */
async function resolveAll(tx: Queryable, phase: (name: string) => void): Promise<Resolved> {
  const graph = await loadNumbered(tx);
  phase(`identity tuples (${graph.size}, all)`);
  const resolution = await graph.resolve((nodes) => anchorNames(tx, nodes));
  await tx.exec(`DROP TABLE IF EXISTS stitch_anchors`);
  await tx.exec(`DROP TABLE stitch_nodes`);
  return { graph, resolution };
}

/** The components the new tuples touch, with their identifier strings (few tuples). */
async function resolveTouched(tx: Queryable, lastOldTuple: number, fresh: number, phase: (name: string) => void): Promise<Resolved> {
  if (fresh === 0) {
    // Every identifier combination was seen before: nothing can change.
    const graph = new IdentityGraph();
    phase('identity tuples (0 touched)');
    return { graph, resolution: await graph.resolve(graph.ownNames) };
  }
  await findTouchedComponents(tx, lastOldTuple);
  phase('identity components touched');
  // No try/finally around the temp tables: a failed statement aborts the transaction, whose
  // rollback drops them, and a DROP there would only hide the first error.
  for (;;) {
    // New tuples have no component yet, so the two halves do not overlap.
    const graph = new IdentityGraph();
    const sql = `SELECT ${COLUMNS} FROM (
        SELECT first_seq, ${COLUMNS} FROM id_tuples WHERE component_id IN (SELECT component_id FROM stitch_components)
        UNION ALL SELECT first_seq, ${COLUMNS} FROM id_tuples WHERE tuple_id > ${lastOldTuple}
      ) u ORDER BY first_seq, tuple_id`;
    for await (const batch of tx.stream(sql)) for (const r of batch) graph.add(toTuple(r));
    phase(`identity tuples (${graph.size} touched)`);
    const resolution = await graph.resolve(graph.ownNames);
    const clashes = await componentsHolding(tx, lastOldTuple, newKeys(graph, resolution));
    if (clashes.length === 0) {
      await tx.exec(`DROP TABLE stitch_components`);
      return { graph, resolution };
    }
    // A key minted here is held by another component: two anchors whose 48-bit hashes
    // collide. A full resolve gives it to whichever customer comes first, so resolve both.
    await tx.exec(`INSERT INTO stitch_components (component_id) VALUES ${clashes.map((c) => `(${c})`).join(', ')}`);
  }
}

interface Written {
  /** Stored tuples whose key changed. */
  readonly rekeyed: number;
  readonly keyChanges: number;
  readonly componentChanges: number;
}

/**
 * Writes key changes (with the tuple's component, where that changed too) into the temp table
 * `tuple_changes`, and changes of component alone (tuples that link nothing new, the customers
 * whose component another one joined, every tuple on a store's first full resolve) into
 * `component_changes`, a chunk at a time as they are found.
 */
async function writeChanges(
  tx: Queryable,
  graph: IdentityGraph,
  resolution: Resolution,
  component: Float64Array,
  lastOldTuple: number,
): Promise<Written> {
  const keys = await rowSink(tx, 'tuple_changes', ['tuple_id BIGINT', 'customer_key TEXT', 'component_id BIGINT']);
  const components = await rowSink(tx, 'component_changes', ['tuple_id BIGINT', 'component_id BIGINT']);
  let rekeyed = 0;
  for (let t = 0; t < graph.size; t++) {
    const id = graph.tupleIdAt(t);
    const key = resolution.keyAt(t);
    const movedComponent = component[t] !== graph.componentBefore(t);
    if (changed(key, graph.keyBefore(t))) {
      if (keys.push([id, keyString(key), movedComponent ? component[t]! : null])) await keys.flush();
      if (id <= lastOldTuple) rekeyed++;
    } else if (movedComponent) {
      if (components.push([id, component[t]!])) await components.flush();
    }
  }
  await keys.flush();
  await components.flush();
  return { rekeyed, keyChanges: keys.written(), componentChanges: components.written() };
}

interface RowSink {
  /** Holds a row; true when a chunk is full and should be flushed. */
  push(row: SqlParam[]): boolean;
  /** Writes the rows held. */
  flush(): Promise<void>;
  /** Rows written so far. */
  written(): number;
}

/**
 * A new temp table `table` (columns as `name TYPE`) filled a chunk at a time: the caller's loop
 * awaits only when a chunk is full, not once per row.
 */
async function rowSink(tx: Queryable, table: string, columns: readonly string[]): Promise<RowSink> {
  await tx.exec(`DROP TABLE IF EXISTS ${table}`);
  await tx.exec(`CREATE TEMP TABLE ${table} (${columns.join(', ')})`);
  const names = columns.map((c) => c.split(' ')[0]!);
  let rows: SqlParam[][] = [];
  let written = 0;
  return {
    push: (row: SqlParam[]): boolean => rows.push(row) === CHUNK,
    flush: async (): Promise<void> => {
      if (rows.length === 0) return;
      await tx.bulkInsert(table, names, rows);
      written += rows.length;
      rows = [];
    },
    written: (): number => written,
  };
}

/** The distinct keys handed out to tuples whose key changed. */
function newKeys(graph: IdentityGraph, resolution: Resolution): string[] {
  const keys = new Set<string>();
  for (let t = 0; t < graph.size; t++) {
    const key = resolution.keyAt(t);
    if (!Number.isNaN(key) && changed(key, graph.keyBefore(t))) keys.add(keyString(key)!);
  }
  return [...keys];
}

/**
 * Every tuple of the store, with its identifiers as node numbers: the store numbers the
 * distinct identifier values (temp table `stitch_nodes (node, slot, value)`), their strings
 * pass through here once to find placeholders (the rule stays in one place, `isPlaceholder`),
 * and the tuples arrive as numbers, in input order.
 */
async function loadNumbered(tx: Queryable): Promise<IdentityGraph> {
  await tx.exec(`DROP TABLE IF EXISTS stitch_nodes`);
  const values = IDENTIFIER_TYPES.map((type, s) => `SELECT DISTINCT ${s} AS slot, ${type} AS value FROM id_tuples WHERE ${type} IS NOT NULL`);
  await tx.exec(`CREATE TEMP TABLE stitch_nodes AS SELECT row_number() OVER () - 1 AS node, slot, value FROM (${values.join(' UNION ALL ')}) v`);
  const [counts] = await tx.query(`SELECT (SELECT count(*) FROM stitch_nodes) AS nodes, (SELECT count(*) FROM id_tuples) AS tuples`);
  const nodes = Number(counts!.nodes);
  const slots = new Uint8Array(nodes);
  const placeholder = new Uint8Array(nodes);
  for await (const batch of tx.stream(`SELECT node, slot, value FROM stitch_nodes`)) {
    for (const r of batch) {
      const n = Number(r.node);
      slots[n] = Number(r.slot);
      if (isPlaceholder(IDENTIFIER_TYPES[slots[n]!]!, r.value as string)) placeholder[n] = 1;
    }
  }
  const graph = new IdentityGraph({ tuples: Number(counts!.tuples), nodes });
  graph.addNodes(slots);
  const columns = IDENTIFIER_TYPES.map((_, s) => `n${s}`);
  const joins = IDENTIFIER_TYPES.map((type, s) => `LEFT JOIN stitch_nodes n${s} ON n${s}.slot = ${s} AND n${s}.value = t.${type}`);
  const sql = `SELECT t.tuple_id, t.customer_key, t.component_id, ${columns.map((c) => `${c}.node AS ${c}`).join(', ')}
    FROM id_tuples t ${joins.join(' ')} ORDER BY t.first_seq, t.tuple_id`;
  const ids = new Array<number>(columns.length);
  for await (const batch of tx.stream(sql)) {
    for (const r of batch) {
      for (let s = 0; s < columns.length; s++) {
        const n = r[columns[s]!];
        ids[s] = n === null || n === undefined || placeholder[Number(n)] ? -1 : Number(n);
      }
      const component = r.component_id === null || r.component_id === undefined ? null : Number(r.component_id);
      graph.addInterned(Number(r.tuple_id), (r.customer_key as string | null) ?? null, component, ids);
    }
  }
  return graph;
}

/** Names (`type:value`) of numbered nodes, in the order asked (temp table `stitch_anchors`). */
async function* anchorNames(tx: Queryable, nodes: Int32Array): AsyncIterable<string[]> {
  await tx.exec(`DROP TABLE IF EXISTS stitch_anchors`);
  await tx.exec(`CREATE TEMP TABLE stitch_anchors (ord BIGINT, node BIGINT)`);
  await insertInChunks(tx, 'stitch_anchors', ['ord', 'node'], nodes.length, (i) => [i, nodes[i]!]);
  const sql = `SELECT n.slot, n.value FROM stitch_anchors a JOIN stitch_nodes n ON n.node = a.node ORDER BY a.ord`;
  for await (const batch of tx.stream(sql)) yield batch.map((r) => `${IDENTIFIER_TYPES[Number(r.slot)]!}:${r.value as string}`);
}

/**
 * The components of stored tuples that share a linking identifier with a new tuple, into the
 * temp table `stitch_components`. Components are closed under shared identifiers, so these
 * components and the new tuples resolve exactly as they would within the whole graph; nothing
 * outside them can change (docs/identity.md).
 */
async function findTouchedComponents(tx: Queryable, lastOldTuple: number): Promise<void> {
  // Placeholders link nothing, and a blocked caller id shared by thousands of records would
  // otherwise pull all of them into every merge.
  const values = new Map<string, [string, string]>();
  for await (const batch of tx.stream(`SELECT ${IDENTIFIER_TYPES.join(', ')} FROM id_tuples WHERE tuple_id > ${lastOldTuple}`)) {
    for (const r of batch) {
      for (const type of IDENTIFIER_TYPES) {
        const v = r[type] as string | null;
        if (v !== null && !isPlaceholder(type, v)) values.set(`${type}:${v}`, [type, v]);
      }
    }
  }
  const pairs = [...values.values()];
  await tx.exec(`DROP TABLE IF EXISTS stitch_values`);
  await tx.exec(`CREATE TEMP TABLE stitch_values (type TEXT, value TEXT)`);
  await insertInChunks(tx, 'stitch_values', ['type', 'value'], pairs.length, (i) => pairs[i]!);
  await tx.exec(`DROP TABLE IF EXISTS stitch_components`);
  // One join per identifier column, so that PostgreSQL can use each column's index; only for
  // the columns the new tuples have values in, since in DuckDB each join reads its column whole.
  const present = new Set(pairs.map(([type]) => type));
  const joins = IDENTIFIER_TYPES.filter((type) => present.has(type)).map(
    (type) => `SELECT t.component_id FROM id_tuples t JOIN stitch_values v ON v.type = '${type}' AND t.${type} = v.value WHERE t.tuple_id <= ${lastOldTuple}`,
  );
  if (joins.length === 0) joins.push(`SELECT component_id FROM id_tuples WHERE 1 = 0`);
  await tx.exec(`CREATE TEMP TABLE stitch_components AS SELECT DISTINCT component_id FROM (${joins.join(' UNION ALL ')}) c WHERE component_id IS NOT NULL`);
  await tx.exec(`DROP TABLE stitch_values`);
}

/** Components outside `stitch_components` whose stored tuples hold any of the keys `distinct`. */
async function componentsHolding(tx: Queryable, lastOldTuple: number, distinct: readonly string[]): Promise<number[]> {
  if (distinct.length === 0) return [];
  const outside = `tuple_id <= ${lastOldTuple} AND component_id NOT IN (SELECT component_id FROM stitch_components)`;
  let rows;
  if (distinct.length <= 1000) {
    // A merge's few keys as parameters: PostgreSQL probes the customer_key index, where a join
    // with a temp table it has no statistics for makes it scan every tuple.
    const list = distinct.map((_, i) => `$${i + 1}`).join(', ');
    rows = await tx.query(`SELECT DISTINCT component_id FROM id_tuples WHERE customer_key IN (${list}) AND ${outside}`, distinct);
  } else {
    await tx.exec(`DROP TABLE IF EXISTS stitch_keys`);
    await tx.exec(`CREATE TEMP TABLE stitch_keys (customer_key TEXT)`);
    await insertInChunks(tx, 'stitch_keys', ['customer_key'], distinct.length, (i) => [distinct[i]!]);
    rows = await tx.query(`SELECT DISTINCT component_id FROM id_tuples WHERE customer_key IN (SELECT customer_key FROM stitch_keys) AND ${outside}`);
    await tx.exec(`DROP TABLE stitch_keys`);
  }
  return rows.map((r) => Number(r.component_id));
}

/** Bulk-inserts rows made on demand, a bounded number at a time. */
async function insertInChunks(tx: Queryable, table: string, columns: readonly string[], count: number, row: (i: number) => readonly SqlParam[]): Promise<void> {
  for (let i = 0; i < count; i += CHUNK) {
    const rows: (readonly SqlParam[])[] = [];
    for (let j = i; j < Math.min(i + CHUNK, count); j++) rows.push(row(j));
    await tx.bulkInsert(table, columns, rows);
  }
}
