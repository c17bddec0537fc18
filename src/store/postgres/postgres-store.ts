/**
 * The shared store: PostgreSQL through a connection pool. Many processes (several servers, a
 * CLI import) use one database at once. Reads run in parallel on the pool; every write
 * transaction (an import's merge, a collector batch, a survey answer, a case update, a
 * migration) takes one advisory lock first, so writers from different processes run one at a
 * time — as they do in the single DuckDB process — and two of them never take the same
 * sequence numbers, stitch identities or rebuild journeys over each other. An import reads and
 * stages its file outside the lock; only its merge waits. Bulk loads use COPY, never row inserts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AppError } from '../../core/errors.ts';
import { KINDS } from '../../core/records.ts';
import type { Kind } from '../../core/records.ts';
import { commonColumns, FIELDS, sqlType, stagingColumns } from '../schema.ts';
import type { Column } from '../schema.ts';
import { announcePayloads, Mutex, STORE_TOPICS, Watchers } from '../store.ts';
import type { Notice, Queryable, Reader, Row, SqlDialect, SqlParam, Staged, Staging, Store, StoreTopic } from '../store.ts';
import { pgParams, pgText, pgTypes } from './postgres-values.ts';

export const postgresDialect: SqlDialect = {
  median: (e) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${e})`,
  quantile: (e, q) => `percentile_disc(${Number(q)}) WITHIN GROUP (ORDER BY ${e})`,
  msToTimestamp: (e) => `to_timestamp((${e}) / 1000.0)`,
  msToMonth: (e) => `to_char(to_timestamp((${e}) / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')`,
  stringAgg: (e, sep, orderBy) => `string_agg(${e}, '${sep}' ORDER BY ${orderBy})`,
  mergeRelation: 'TABLE',
};

/**
 * The lock every write transaction takes (a transaction-level advisory lock: released by
 * COMMIT or ROLLBACK, or when a crashed process's session ends, so it is never left behind).
 */
export const WRITE_LOCK = 7_246_001;

/** A CSV cell for COPY: NULL is an unquoted empty field, text is always quoted. */
function csvCell(v: SqlParam): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return `"${pgText(v).replace(/"/g, '""')}"`;
}

/** Bytes of CSV per chunk written to COPY. */
const COPY_CHUNK = 1 << 20;

/** Lines joined into large chunks: each chunk is one CopyData message, and one per line cost 4× the load time. */
function* chunks(lines: readonly string[]): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= COPY_CHUNK) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

async function copyRows(client: pg.PoolClient, table: string, columns: readonly string[], lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`));
  await pipeline(Readable.from(chunks(lines)), stream);
}

/** The turn of each session's statements (PostgresStore.run). */
const turns = new WeakMap<pg.PoolClient, Mutex>();

function turnOf(client: pg.PoolClient): Mutex {
  let turn = turns.get(client);
  if (turn === undefined) turns.set(client, (turn = new Mutex()));
  return turn;
}

/** A statement on a session, after the statements sent to it before. */
function onSession(client: pg.PoolClient, sql: string, params: readonly SqlParam[] | undefined): Promise<pg.QueryResult> {
  return turnOf(client).run(() => client.query(sql, pgParams(params)));
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly sql = postgresDialect;
  /** The client of the transaction this async context runs in, if any. */
  private readonly txClient = new AsyncLocalStorage<pg.PoolClient>();
  private closed = false;
  private readonly watchers = new Watchers();
  /** LISTENs while anyone watches (`watch`); null otherwise. */
  private listener: Listener | null = null;

  private constructor(
    readonly location: string,
    private readonly pool: pg.Pool,
    /** The URL as given, password and all, for the listening connection; `location` is redacted. */
    private readonly connectionString: string,
  ) {}

  static async open(location: string): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: location, max: 8, types: pgTypes });
    // A pool error on an idle client must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const c = await pool.connect();
      c.release();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new AppError('input', `cannot connect to ${redact(location)}: ${describe(e)}`, {
        hint: 'check that PostgreSQL runs and the URL (user, host, port, database) is right',
        cause: e,
      });
    }
    return new PostgresStore(redact(location), pool, location);
  }

  /**
   * A statement on the transaction's session this async context runs in, or on the pool. A
   * session takes one statement at a time: statements a transaction sends together (Promise.all
   * of independent reads) wait their turn here rather than in the driver, which warns that it
   * will stop queueing them (pg 9).
   */
  private run(sql: string, params?: readonly SqlParam[]): Promise<pg.QueryResult> {
    const client = this.txClient.getStore();
    return client === undefined ? this.pool.query(sql, pgParams(params)) : onSession(client, sql, params);
  }

  async query(sql: string, params?: readonly SqlParam[]): Promise<Row[]> {
    return lastRows(await this.run(sql, params));
  }

  async exec(sql: string, params?: readonly SqlParam[]): Promise<void> {
    await this.run(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const inner = this.txClient.getStore();
    if (inner !== undefined) return fn(this.queryableOn(inner));
    const client = await this.pool.connect();
    try {
      return await this.transactionOn(client, fn);
    } finally {
      client.release();
    }
  }

  private async transactionOn<T>(client: pg.PoolClient, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    await client.query('BEGIN');
    try {
      // Taken before fn reads anything, so what it reads (next_seq, the identity graph, the
      // cases a customer has) is what the previous writer committed, not a stale snapshot.
      await client.query(`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
      const result = await this.txClient.run(client, () => fn(this.queryableOn(client)));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  private queryableOn(client: pg.PoolClient): Queryable {
    return {
      query: async (s, p) => lastRows(await onSession(client, s, p)),
      exec: async (s, p) => {
        await onSession(client, s, p);
      },
      bulkInsert: (t, c, r) => turnOf(client).run(() => this.bulkInsertOn(client, t, c, r)),
      stream: (s, p) => this.streamOn(client, s, p, false),
    };
  }

  async *stream(sql: string, params?: readonly SqlParam[]): AsyncIterable<Row[]> {
    const inner = this.txClient.getStore();
    if (inner !== undefined) {
      yield* this.streamOn(inner, sql, params, false);
      return;
    }
    yield* this.poolStream(sql, params);
  }

  private async *poolStream(sql: string, params?: readonly SqlParam[]): AsyncIterable<Row[]> {
    const client = await this.pool.connect();
    try {
      yield* this.streamOn(client, sql, params, true);
    } finally {
      client.release();
    }
  }

  /** A server-side cursor: rows arrive in batches, never all at once. */
  private async *streamOn(client: pg.PoolClient, sql: string, params: readonly SqlParam[] | undefined, ownTransaction: boolean): AsyncIterable<Row[]> {
    const cursor = `c_${Math.random().toString(36).slice(2)}`;
    if (ownTransaction) await client.query('BEGIN');
    let done = false;
    try {
      await client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, pgParams(params));
      for (;;) {
        const r = await client.query(`FETCH 2048 FROM ${cursor}`);
        if (r.rows.length === 0) break;
        yield r.rows as Row[];
      }
      await client.query(`CLOSE ${cursor}`);
      done = true;
    } finally {
      if (ownTransaction) await client.query(done ? 'COMMIT' : 'ROLLBACK').catch(() => undefined);
      else if (!done) await client.query(`CLOSE ${cursor}`).catch(() => undefined);
    }
  }

  async bulkInsert(table: string, columns: readonly string[], rows: readonly (readonly SqlParam[])[]): Promise<void> {
    const inner = this.txClient.getStore();
    if (inner !== undefined) return turnOf(inner).run(() => this.bulkInsertOn(inner, table, columns, rows));
    const client = await this.pool.connect();
    try {
      await this.bulkInsertOn(client, table, columns, rows);
    } finally {
      client.release();
    }
  }

  private async bulkInsertOn(client: pg.PoolClient, table: string, columns: readonly string[], rows: readonly (readonly SqlParam[])[]): Promise<void> {
    await copyRows(
      client,
      table,
      columns,
      rows.map((r) => r.map((v) => csvCell(v ?? null)).join(',') + '\n'),
    );
  }

  async openStaging(): Promise<Staging> {
    // Temporary tables belong to one session, so the staging and its merge share one client.
    const client = await this.pool.connect();
    try {
      for (const kind of KINDS) {
        const cols = stagingColumns(kind).map((c) => `${c.name} ${sqlType(c.type)}`);
        await client.query(`DROP TABLE IF EXISTS stg_${kind}`);
        await client.query(`CREATE TEMP TABLE stg_${kind} (${cols.join(', ')})`);
      }
    } catch (e) {
      client.release();
      throw e;
    }
    // The import's merge is a write transaction on the staging's own session.
    return new PostgresStaging(client, (fn) => this.transactionOn(client, fn));
  }

  /**
   * The pool already reads beside writers, so a reader is the pool, with nothing of its own to
   * close: always the pool, even when called inside a transaction, which it must not see into.
   */
  openReader(): Promise<Reader> {
    return Promise.resolve({
      query: async (s, p) => lastRows(await this.pool.query(s, pgParams(p))),
      exec: async (s, p) => {
        await this.pool.query(s, pgParams(p));
      },
      stream: (s, p) => this.poolStream(s, p),
      bulkInsert: async (t, c, r) => {
        const client = await this.pool.connect();
        try {
          await this.bulkInsertOn(client, t, c, r);
        } finally {
          client.release();
        }
      },
      close: () => Promise.resolve(),
    });
  }

  /**
   * NOTIFY, which PostgreSQL delivers to every listening session when the transaction commits;
   * this process's own watchers are called at once, as DuckDB's are, rather than a moment later
   * through its listener (a route that revokes a key must not accept it on its next request).
   */
  async announce(topic: StoreTopic, payload: string | readonly string[] = ''): Promise<void> {
    const all = announcePayloads(topic, payload);
    if (all.length === 0) return;
    // One statement for them all: a large change is many announcements.
    const params = [channelOf(topic), ...all];
    await this.run(`SELECT ${all.map((_, i) => `pg_notify($1, $${i + 2})`).join(', ')}`, params);
    for (const p of all) this.watchers.call(topic, p);
  }

  async watch(topic: StoreTopic, fn: (notice: Notice) => void): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('the store is closed');
    const remove = this.watchers.add(topic, fn);
    if (this.listener === null) {
      this.listener = new Listener(this.connectionString, this.watchers);
      await this.listener.start();
    }
    return async () => {
      remove();
      if (this.watchers.topics.length > 0 || this.listener === null) return;
      const listener = this.listener;
      this.listener = null;
      await listener.stop();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener?.stop();
    this.listener = null;
    await this.pool.end();
  }
}

/** The channel a topic is announced on: NOTIFY reaches every session of the same database. */
function channelOf(topic: StoreTopic): string {
  return `throughline_${topic}`;
}

/** How long the listening connection waits before it tries again after losing the server. */
const LISTEN_RETRY_MS = 1000;

/**
 * The connection that LISTENs for announcements (`Store.watch`): a client of its own, since a
 * pooled one would be held for good. It calls every watcher once it listens (the first time
 * too: a watcher may have filled its cache before), and when it loses the server it tries again
 * every second, so that a watcher only ever hears more than happened, never less.
 */
class Listener {
  private client: pg.Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly connectionString: string,
    private readonly watchers: Watchers,
  ) {}

  /** Listens, or schedules another try; never fails. */
  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (m) => {
      const topic = STORE_TOPICS.find((t) => channelOf(t) === m.channel);
      if (topic !== undefined) this.watchers.call(topic, m.payload ?? '');
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const t of STORE_TOPICS) await client.query(`LISTEN ${channelOf(t)}`);
    } catch {
      this.lost(client);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.watchers.call();
  }

  private lost(client: pg.Client): void {
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.client === client) this.client = null;
    if (this.stopped || this.retry !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.start();
    }, LISTEN_RETRY_MS);
    // Retrying must not keep a process alive that has nothing else to do.
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    const client = this.client;
    this.client = null;
    if (client === null) return;
    client.removeAllListeners();
    client.on('error', () => undefined);
    await client.end().catch(() => undefined);
  }
}

/** The rows of a query's answer: of its last statement when the text held several. */
function lastRows(r: pg.QueryResult | pg.QueryResult[]): Row[] {
  const last = Array.isArray(r) ? r[r.length - 1] : r;
  return (last?.rows ?? []) as Row[];
}

/** Hides a password in a connection URL before it reaches a message. */
export function redact(url: string): string {
  return url.replace(/(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/i, '$1:***@');
}

const FLUSH_ROWS = 20_000;

/**
 * A file import that adds at least this many records, and at least ANALYZE_SHARE of what the
 * record tables held, refreshes the planner's statistics once its merge commits (PostgreSQL's
 * advice after a bulk load). Until autovacuum gets to it (a minute later at best; never where
 * it is off) the planner takes a table that was empty at its last analysis for a table of one
 * row, and plans nested loops over thousands of rows: on a fresh 50,000-event database `drivers`,
 * `risk` and `agents` took two to four times as long as with statistics.
 */
const ANALYZE_MIN_ROWS = 1_000;
const ANALYZE_SHARE = 0.1;

class PostgresStaging implements Staging {
  private readonly buffers = new Map<Kind, string[]>();
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private released = false;
  private appended = 0;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly runTransaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>,
  ) {}

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const result = await this.runTransaction(fn);
    // After the commit, outside the write lock: ANALYZE blocks no reader or writer.
    if (this.appended >= ANALYZE_MIN_ROWS) await this.analyzeIfGrown();
    return result;
  }

  /** Analyzes the store's tables when this import added a good share of its records. */
  private async analyzeIfGrown(): Promise<void> {
    try {
      // reltuples is the row count at the last analysis, -1 before the first.
      const held = await this.client.query(
        `SELECT coalesce(sum(greatest(c.reltuples, 0)), 0) AS n FROM pg_class c
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname = ANY($1)`,
        [[...KINDS]],
      );
      if (this.appended < ANALYZE_SHARE * Number(held.rows[0]?.n ?? 0)) return;
      const tables = await this.client.query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`);
      if (tables.rows.length === 0) return;
      await this.client.query(`ANALYZE ${tables.rows.map((r: { tablename: string }) => pg.escapeIdentifier(r.tablename)).join(', ')}`);
    } catch {
      // Statistics only steer plans: the import has committed, and autovacuum analyzes later.
    }
  }

  append<K extends Kind>(kind: K, staged: Staged<K>): void {
    this.appended++;
    let buf = this.buffers.get(kind);
    if (buf === undefined) this.buffers.set(kind, (buf = []));
    const cols = [...FIELDS[kind], ...commonColumns<K>()] as readonly Column<K>[];
    let line = String(staged.seq);
    for (const c of cols) line += ',' + csvCell(c.get(staged.record));
    line += ',' + csvCell(staged.tupleKey) + '\n';
    buf.push(line);
    if (buf.length >= FLUSH_ROWS) this.ship(kind);
  }

  /** Sends a kind's buffer with COPY, after whatever is already on its way. */
  private ship(kind: Kind): void {
    const lines = this.buffers.get(kind) ?? [];
    if (lines.length === 0) return;
    this.buffers.set(kind, []);
    const columns = stagingColumns(kind).map((c) => c.name);
    this.pending = this.pending.then(async () => {
      if (this.failure !== null) return;
      try {
        await copyRows(this.client, `stg_${kind}`, columns, lines);
      } catch (e) {
        this.failure = e;
      }
    });
  }

  async drain(): Promise<void> {
    await this.pending;
    if (this.failure !== null) throw this.failure;
  }

  async flush(): Promise<void> {
    for (const kind of KINDS) this.ship(kind);
    await this.drain();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.pending.catch(() => undefined);
    try {
      for (const kind of KINDS) await this.client.query(`DROP TABLE IF EXISTS stg_${kind}`);
    } finally {
      this.client.release();
    }
  }
}
