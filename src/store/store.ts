/**
 * The storage interface every store implements (DuckDB embedded, PostgreSQL shared). Domain
 * modules talk SQL through it — written in the subset both dialects share, with `$1` params —
 * and never import a driver. Values come back as plain JSON (see each dialect's value converter).
 *
 * Text a user supplied (ids, products, activities, emails) is sorted in SQL with `COLLATE "C"`:
 * byte order, DuckDB's default, which both dialects accept. Without it PostgreSQL sorts by the
 * database's language collation (`en-US` puts `a_b` before `a-b`, and `A-c` after it), and
 * the same command would list things in another order (test/postgres/parity.test.ts).
 *
 * @example
 * ```ts
 * import { openStore } from './open.ts';
 * const store = await openStore('./throughline.duckdb');
 * const [row] = await store.query('SELECT count(*) AS n FROM interactions WHERE channel = $1', ['web']);
 * console.log(row?.n); // a number, never a bigint
 * await store.close();
 * ```
 */
import type { Kind, RecordOfKind } from '../core/records.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Row = Record<string, Json>;
export type SqlParam = string | number | boolean | null;

export type Dialect = 'duckdb' | 'postgres';

/** What one process can tell the others using the same store has changed (`Store.announce`). */
export type StoreTopic = 'api_keys' | 'customers';
export const STORE_TOPICS: readonly StoreTopic[] = ['api_keys', 'customers'];

/** The most bytes one announcement may carry (PostgreSQL's NOTIFY takes fewer than 8,000). */
export const ANNOUNCE_MAX_BYTES = 7_900;

/**
 * What a watcher hears: the announcement's payload (`''` when it had none), or `null` when the
 * store cannot be sure it heard every announcement and anything may have changed.
 */
export type Notice = string | null;

/** The payloads of `Store.announce`, each checked against ANNOUNCE_MAX_BYTES. */
export function announcePayloads(topic: StoreTopic, payload: string | readonly string[]): readonly string[] {
  const all = typeof payload === 'string' ? [payload] : payload;
  for (const p of all) {
    const bytes = Buffer.byteLength(p);
    if (bytes > ANNOUNCE_MAX_BYTES) throw new Error(`an announcement on ${topic} carries ${bytes} bytes, more than ${ANNOUNCE_MAX_BYTES}`);
  }
  return all;
}

export interface Queryable {
  query(sql: string, params?: readonly SqlParam[]): Promise<Row[]>;
  /** Runs one or more statements for their effect. */
  exec(sql: string, params?: readonly SqlParam[]): Promise<void>;
  /** Streams a large result in batches of rows so memory stays bounded. */
  stream(sql: string, params?: readonly SqlParam[]): AsyncIterable<Row[]>;
  /** Inserts many rows into a table in one bulk operation (an appender, or COPY). */
  bulkInsert(table: string, columns: readonly string[], rows: readonly (readonly SqlParam[])[]): Promise<void>;
  /**
   * Runs `fn`, a step that needs a large share of this process's memory for itself (the full
   * identity stitch of a large import), with the database's own memory made smaller meanwhile.
   * Only a database that lives in this process has any to lend (DuckDB: it spills what it holds
   * to its temp folder); elsewhere this is absent and the step just runs.
   */
  lendMemory?<T>(fn: () => Promise<T>): Promise<T>;
}

/** Where dialects differ in SQL text, domain code asks the store for the fragment. */
export interface SqlDialect {
  /** Median of a numeric expression as an aggregate. */
  median(expr: string): string;
  /**
   * The q-quantile (0–1) of a numeric expression as an aggregate: a value of the data (the
   * discrete quantile), so that every engine gives the same figure to the last digit, where an
   * interpolated one differs in its rounding from engine to engine.
   */
  quantile(expr: string, q: number): string;
  /** Epoch milliseconds (BIGINT) → a TIMESTAMP-typed expression in UTC. */
  msToTimestamp(expr: string): string;
  /** 'YYYY-MM' of epoch milliseconds, in UTC. */
  msToMonth(expr: string): string;
  /** Ordered string aggregation: `string_agg(expr, sep ORDER BY ...)`. */
  stringAgg(expr: string, sep: string, orderBy: string): string;
  /**
   * What a merge makes of the staged records it keeps when they were staged (and committed)
   * before its transaction, as a file import's are: `VIEW`, read where they are staged, or
   * `TABLE`, a copy (src/ingest/import.ts). DuckDB reads rows copied into a table created in
   * the open transaction about twice as slowly as committed ones; PostgreSQL plans a view over a
   * fresh temp table without statistics, and its merges slowed 1.3 to 2.5 times (BENCHMARKS.md).
   */
  readonly mergeRelation: 'VIEW' | 'TABLE';
}

export interface Store extends Queryable {
  readonly dialect: Dialect;
  readonly location: string;
  readonly sql: SqlDialect;
  /**
   * Runs `fn` in one write transaction: all of it lands, or none of it. Write transactions run
   * one at a time across every process using the store (PostgreSQL: an advisory lock taken
   * first), so `fn` reads what the previous writer committed. Reads outside it never wait.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Opens per-import staging tables (`stg_<kind>`) that validated records are appended to. */
  openStaging(): Promise<Staging>;
  /**
   * A way in of its own for long background reads (the server's live cache: its preload and
   * refreshes), which should neither wait for a write transaction nor hold one up. It reads what
   * is committed. DuckDB: a second connection to the same database, since one connection runs
   * one statement at a time; PostgreSQL: the pool, which already gives that. Close it before
   * the store.
   */
  openReader(): Promise<Reader>;
  /**
   * Tells every process using the store that `topic` changed: this one's watchers at once (even
   * inside a transaction that may still roll back), the others' once the write commits. For what
   * processes cache (the server's verified API keys): a watcher may hear more than was changed,
   * never less. PostgreSQL: NOTIFY. DuckDB: one process holds the file, so only its own watchers.
   * `payload` (at most ANNOUNCE_MAX_BYTES of UTF-8) is what the watchers are given; several
   * payloads are several announcements, sent together.
   */
  announce(topic: StoreTopic, payload?: string | readonly string[]): Promise<void>;
  /**
   * Calls `fn` whenever `topic` is announced, and also when it cannot be sure it heard every
   * announcement (PostgreSQL: its listening connection dropped and came back), with `null`.
   * Resolves to a function that stops watching. It never fails for want of a connection: it
   * keeps retrying.
   */
  watch(topic: StoreTopic, fn: (notice: Notice) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * One at a time, in the order asked: a connection's statements (DuckDB's one connection, a
 * transaction's session on either store), or a transaction, or a streamed result.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const prev = this.tail;
    this.tail = prev.then(() => next);
    await prev;
    return release;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** The watchers of each topic in one process, for `Store.watch` implementations. */
export class Watchers {
  private readonly byTopic = new Map<StoreTopic, Set<(notice: Notice) => void>>();

  get topics(): StoreTopic[] {
    return [...this.byTopic.keys()];
  }

  /** Adds `fn`; returns a function that removes it. */
  add(topic: StoreTopic, fn: (notice: Notice) => void): () => void {
    const set = this.byTopic.get(topic) ?? new Set();
    this.byTopic.set(topic, set);
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.byTopic.delete(topic);
    };
  }

  /**
   * Calls the watchers of `topic` with `notice`, or of every topic with `null` (anything may
   * have changed); one that throws does not stop the rest.
   */
  call(topic?: StoreTopic, notice: Notice = null): void {
    for (const [t, set] of this.byTopic) {
      if (topic !== undefined && t !== topic) continue;
      for (const fn of [...set]) {
        try {
          fn(topic === undefined ? null : notice);
        } catch {
          // A watcher's own failure is its own; the others still need to hear.
        }
      }
    }
  }
}

/** See `Store.openReader`. */
export interface Reader extends Queryable {
  close(): Promise<void>;
}

/** A staged record: a validated record plus its place in the global input order. */
export interface Staged<K extends Kind> {
  readonly seq: number;
  readonly tupleKey: string | null;
  readonly record: RecordOfKind[K];
}

export interface Staging {
  /** Synchronous so that the parser loop is not slowed by a promise per record. */
  append<K extends Kind>(kind: K, staged: Staged<K>): void;
  /** Resolves once buffered records are on their way; call it now and then for backpressure. */
  drain(): Promise<void>;
  /** Makes every appended record visible to SQL in the staging tables. */
  flush(): Promise<void>;
  /**
   * A transaction on the session that holds the staging tables (temporary tables belong to one
   * session in PostgreSQL). An import's merge runs here.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Drops the staging tables. Safe to call twice. */
  release(): Promise<void>;
}

/**
 * `column` inside a time range as SQL (`from` inclusive, `to` exclusive, epoch ms), binding the
 * bounds into `params`; `TRUE` when the range is open on both sides.
 */
export function timeRangeSql(column: string, range: { readonly from?: number | undefined; readonly to?: number | undefined }, params: SqlParam[]): string {
  const out: string[] = [];
  if (range.from !== undefined) {
    params.push(range.from);
    out.push(`${column} >= $${params.length}`);
  }
  if (range.to !== undefined) {
    params.push(range.to);
    out.push(`${column} < $${params.length}`);
  }
  return out.length === 0 ? 'TRUE' : out.join(' AND ');
}
