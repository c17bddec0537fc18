/**
 * The embedded store: one DuckDB file, held read-write by one process. Statements are run one
 * at a time through a queue because a DuckDB connection is not re-entrant, and a transaction
 * must not interleave with a request that arrives while it runs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { AppError } from '../../core/errors.ts';
import { KINDS } from '../../core/records.ts';
import type { Kind } from '../../core/records.ts';
import { commonColumns, FIELDS, sqlType, stagingColumns } from '../schema.ts';
import type { Column } from '../schema.ts';
import { announcePayloads, Mutex, Watchers } from '../store.ts';
import type { Notice, Queryable, Reader, Row, SqlDialect, SqlParam, Staged, Staging, Store, StoreTopic } from '../store.ts';
import { columnsToRows } from './duckdb-values.ts';
import { bytesOf } from '../memory-amount.ts';

export const duckdbDialect: SqlDialect = {
  median: (e) => `median(${e})`,
  quantile: (e, q) => `quantile_disc(${e}, ${Number(q)})`,
  msToTimestamp: (e) => `make_timestamp(CAST(${e} AS BIGINT) * 1000)`,
  msToMonth: (e) => `strftime(make_timestamp(CAST(${e} AS BIGINT) * 1000), '%Y-%m')`,
  // An ordered string_agg sorts inside every group; sorting a list of structs does the same
  // job about 2.5x faster in DuckDB (it dominated journey rebuilds). Ascending keys only, as
  // every caller uses; NULL values are skipped and an empty result is NULL, as string_agg does.
  stringAgg: (e, sep, orderBy) => {
    const keys = orderBy.split(',').map((k, i) => `'o${i}': ${k.trim()}`);
    return `nullif(array_to_string(list_transform(list_sort(list({${keys.join(', ')}, 'v': ${e}})), x -> x.v), '${sep}'), '')`;
  },
  mergeRelation: 'VIEW',
};

/**
 * DuckDB's memory limit unless THROUGHLINE_DUCKDB_MEMORY says otherwise (see config). DuckDB's
 * RSS runs past its limit (by about 0.4 GB at 1M events and up to 1 GB at 10M), and the process
 * holds JavaScript besides: at 1 GB a first import of 10M events peaked at 2.0-2.1 GB, at 768 MB
 * at 1.8 GB, for about a tenth more time at 1M events (BENCHMARKS.md). More memory spills less.
 */
export const DEFAULT_MEMORY_LIMIT = '768MB';

/**
 * How much write-ahead log DuckDB lets build up before it checkpoints (writes changed row groups
 * back into the file) at a commit. Its default, 16 MB, made every collector merge of 20,000
 * events also a checkpoint, which rewrote the row groups the merge touched across the store and
 * took a third of the merge (bench/merge.ts: 3.7 s a merge, 2.6 s with this). A checkpoint still
 * runs at this size and when the store closes; the log is replayed on open after a crash.
 */
const CHECKPOINT_THRESHOLD = '256MB';

const LOCK_PATTERN = /Could not set lock on file .*?(?:\(PID (\d+)\))?/s;

/** Turns DuckDB's lock conflict into an error that says what to do. */
function lockError(location: string, e: Error): AppError {
  const pid = /PID (\d+)/.exec(e.message)?.[1];
  return new AppError(
    'locked',
    `${location} is in use by another Throughline process${pid ? ` (pid ${pid})` : ''}, probably \`throughline serve\``,
    {
      hint: 'stop that process first, or send the data to the running server (POST /api/v1/events), or use another --db',
      cause: e,
    },
  );
}

function toDuckParams(params: readonly SqlParam[] | undefined): DuckDBValue[] | undefined {
  return params === undefined ? undefined : [...params];
}

export class DuckDbStore implements Store {
  readonly dialect = 'duckdb' as const;
  readonly sql = duckdbDialect;
  /** One statement (or transaction, or streamed result) at a time on the connection. */
  private readonly serial = new Mutex();
  /**
   * Set inside `transaction(fn)` for `fn`'s own async calls only. A plain flag would let a
   * concurrent caller (another HTTP request in the server) slip its statement into the middle
   * of someone else's transaction, or kill a result that transaction is streaming.
   */
  private readonly txScope = new AsyncLocalStorage<Mutex>();
  private closed = false;
  /** Connections opened by `openReader`, closed with the store if their owner did not. */
  private readonly readers = new Set<DuckDbStore>();
  /** Only this process can write the file, so announcements go no further than its own watchers. */
  private readonly watchers = new Watchers();

  private get inTransaction(): boolean {
    return this.txScope.getStore() !== undefined;
  }

  private constructor(
    readonly location: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    /** The memory limit the store was opened with, which `withLentMemory` puts back. */
    private readonly memoryLimit: string,
  ) {}

  /** Set while memory is lent; the end of the transaction puts the limit back if still set. */
  private limitLent = false;

  /**
   * `memoryLimit` bounds DuckDB's own memory (it spills to a temp folder beside the file past
   * it). Without a limit DuckDB takes up to 80% of RAM for an import's temporary tables, which
   * is what pushed a 1M-event import past 2 GB of RSS (BENCHMARKS.md).
   */
  static async open(location: string, options: { memoryLimit?: string } = {}): Promise<DuckDbStore> {
    let instance: DuckDBInstance;
    const memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    try {
      instance = await DuckDBInstance.create(location, { memory_limit: memoryLimit, checkpoint_threshold: CHECKPOINT_THRESHOLD });
    } catch (e) {
      if (e instanceof Error && LOCK_PATTERN.test(e.message)) throw lockError(location, e);
      throw new AppError('input', `cannot open ${location} as a DuckDB database: ${(e as Error).message.split('\n')[0]}`, {
        hint: 'check the path given with --db or THROUGHLINE_DB',
        cause: e,
      });
    }
    const conn = await instance.connect();
    return new DuckDbStore(location, instance, conn, memoryLimit);
  }

  /**
   * Streams being read on this connection. DuckDB keeps one pending result per connection: a
   * statement run while a stream is open ends that stream early, silently (a 100,000-row stream
   * stopped after 2,048 rows). Only a transaction can get there (outside one, a stream holds the
   * connection), so a statement then is a mistake to report, never rows to lose.
   */
  private openStreams = 0;

  private assertNoOpenStream(sql: string): void {
    if (this.openStreams === 0) return;
    throw new Error(
      `a statement ran while a stream on the same DuckDB connection was still being read, which would cut that stream short; read the stream to the end (or into an array) first. The statement: ${sql.replace(/\s+/g, ' ').slice(0, 120)}`,
    );
  }

  private async rawQuery(sql: string, params?: readonly SqlParam[]): Promise<Row[]> {
    this.assertNoOpenStream(sql);
    const reader = await this.conn.runAndReadAll(sql, toDuckParams(params));
    return columnsToRows(reader.columnNames(), reader.getColumns(), reader.currentRowCount);
  }

  private async rawExec(sql: string, params?: readonly SqlParam[]): Promise<void> {
    this.assertNoOpenStream(sql);
    await this.conn.run(sql, toDuckParams(params));
  }

  /**
   * DuckDB shares this process: at its limit it holds most of what it may, and a step that needs
   * hundreds of megabytes in JavaScript adds them on top. Halving the limit meanwhile makes it
   * spill its temporary tables and hand the memory back (a 10M-event import's peak RSS,
   * BENCHMARKS.md); the limit is the instance's, so reads on other connections share the
   * smaller one for that while.
   */
  private async withLentMemory<T>(fn: () => Promise<T>): Promise<T> {
    await this.rawExec(`SET memory_limit = '${Math.floor(bytesOf(this.memoryLimit) / 2)}B'`);
    // If fn fails, the limit stays lent until the transaction ends: a failed statement aborts
    // it, and DuckDB then refuses even a SET until the rollback, which does not undo the SET.
    this.limitLent = true;
    const result = await fn();
    await this.rawExec(`SET memory_limit = '${this.memoryLimit}'`);
    this.limitLent = false;
    return result;
  }

  query(sql: string, params?: readonly SqlParam[]): Promise<Row[]> {
    return (this.txScope.getStore() ?? this.serial).run(() => this.rawQuery(sql, params));
  }

  exec(sql: string, params?: readonly SqlParam[]): Promise<void> {
    return (this.txScope.getStore() ?? this.serial).run(() => this.rawExec(sql, params));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      await this.conn.run('BEGIN TRANSACTION');
      // Statements a transaction sends at once (Promise.all of independent reads) run one after
      // another, as outside one. A trial of concurrent reads on the one connection came back
      // whole, but the bindings promise nothing of the kind (concurrent inserts on one connection
      // crashed them: duckdb/duckdb-node-neo#142). A stream is not queued here, so a statement
      // run during one still fails loudly (assertNoOpenStream).
      const turn = new Mutex();
      const tx: Queryable = {
        query: (s, p) => turn.run(() => this.rawQuery(s, p)),
        exec: (s, p) => turn.run(() => this.rawExec(s, p)),
        bulkInsert: (t, c, r) => turn.run(() => this.rawBulkInsert(t, c, r)),
        stream: (s, p) => this.rawStream(s, p),
        lendMemory: (f) => this.withLentMemory(f),
      };
      try {
        const result = await this.txScope.run(turn, () => fn(tx));
        await this.conn.run('COMMIT');
        return result;
      } catch (e) {
        await this.conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        if (this.limitLent) {
          this.limitLent = false;
          await this.conn.run(`SET memory_limit = '${this.memoryLimit}'`).catch(() => undefined);
        }
      }
    });
  }

  async *stream(sql: string, params?: readonly SqlParam[]): AsyncIterable<Row[]> {
    if (this.inTransaction) {
      yield* this.rawStream(sql, params);
      return;
    }
    // The connection is held until the consumer finishes (or stops early).
    const release = await this.serial.acquire();
    try {
      yield* this.rawStream(sql, params);
    } finally {
      release();
    }
  }

  private async *rawStream(sql: string, params?: readonly SqlParam[]): AsyncIterable<Row[]> {
    this.assertNoOpenStream(sql);
    const result = await this.conn.stream(sql, toDuckParams(params));
    this.openStreams++;
    try {
      const names = result.columnNames();
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        yield columnsToRows(names, chunk.getColumns(), chunk.rowCount);
      }
    } finally {
      this.openStreams--;
    }
  }

  async openStaging(): Promise<Staging> {
    for (const kind of KINDS) {
      const cols = stagingColumns(kind).map((c) => `${c.name} ${sqlType(c.type)}`);
      await this.exec(`CREATE OR REPLACE TEMP TABLE stg_${kind} (${cols.join(', ')})`);
    }
    const staging = new DuckDbStaging(this.conn, (sql) => this.exec(sql), (fn) => this.transaction(fn));
    await staging.prepare();
    return staging;
  }

  bulkInsert(table: string, columns: readonly string[], rows: readonly (readonly SqlParam[])[]): Promise<void> {
    return (this.txScope.getStore() ?? this.serial).run(() => this.rawBulkInsert(table, columns, rows));
  }

  async openReader(): Promise<Reader> {
    if (this.closed) throw new Error('the store is closed');
    // Connections of one instance share the database with MVCC: a read here runs beside a
    // write transaction on the main connection and sees what was committed when it started.
    const reader = new DuckDbStore(this.location, this.instance, await this.instance.connect(), this.memoryLimit);
    this.readers.add(reader);
    return {
      query: (s, p) => reader.query(s, p),
      exec: (s, p) => reader.exec(s, p),
      stream: (s, p) => reader.stream(s, p),
      bulkInsert: (t, c, r) => reader.bulkInsert(t, c, r),
      close: async () => {
        if (!this.readers.delete(reader)) return;
        await reader.closeConnection();
      },
    };
  }

  private async rawBulkInsert(table: string, columns: readonly string[], rows: readonly (readonly SqlParam[])[]): Promise<void> {
    if (rows.length === 0) return;
    // The appender needs every column of the table in order. A table of exactly the given
    // columns (the temp tables bulk inserts mostly fill) takes the rows directly; any other gets
    // them through a temp table of those columns. Not always the bridge: inside a transaction a
    // dropped table's rows are kept until the commit, which doubled what a large import's
    // stitch wrote, outside DuckDB's limit (BENCHMARKS.md, 10M rows).
    const found = await this.rawQuery(
      `SELECT database_name AS db, schema_name AS schema, list(column_name ORDER BY column_index) AS columns
        FROM duckdb_columns() WHERE table_name = $1 GROUP BY database_name, schema_name`,
      [table],
    );
    // One table of that name, or an unqualified INSERT would pick for us which one.
    const direct = found.length === 1 && JSON.stringify(found[0]!.columns) === JSON.stringify(columns) ? found[0]! : null;
    const into = direct ? table : `bulk_${table.replace(/\W/g, '_')}`;
    if (!direct) await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${into} AS SELECT ${columns.join(', ')} FROM ${table} LIMIT 0`);
    const app = await this.conn.createAppender(into, direct ? String(direct.schema) : 'main', direct ? String(direct.db) : 'temp');
    const types = columns.map((_, i) => app.columnType(i).typeId);
    for (let r = 0; r < rows.length; r++) {
      // ~1 µs a value: a collector merge of 100,000 rows would hold the event loop for a second.
      if (r > 0 && r % 5_000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const row = rows[r]!;
      for (let i = 0; i < columns.length; i++) appendParam(app, types[i]!, row[i] ?? null);
      app.endRow();
    }
    app.closeSync();
    if (!direct) {
      await this.conn.run(`INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM ${into}`);
      await this.conn.run(`DROP TABLE ${into}`);
    }
  }

  /**
   * Called at once, even inside a transaction that may still roll back: a watcher forgets
   * something it would have read again anyway (see `Store.announce`).
   */
  announce(topic: StoreTopic, payload: string | readonly string[] = ''): Promise<void> {
    let all: readonly string[];
    try {
      // The same bound as PostgreSQL's, so that what works here works on a shared store.
      all = announcePayloads(topic, payload);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    for (const p of all) this.watchers.call(topic, p);
    return Promise.resolve();
  }

  watch(topic: StoreTopic, fn: (notice: Notice) => void): Promise<() => Promise<void>> {
    const remove = this.watchers.add(topic, fn);
    return Promise.resolve(async () => remove());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.readers) await r.closeConnection();
    this.readers.clear();
    await this.serial.run(async () => {
      this.conn.closeSync();
      this.instance.closeSync();
    });
  }

  /** A reader's end: its connection only (the instance belongs to the store that opened it). */
  private async closeConnection(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serial.run(async () => this.conn.closeSync());
  }
}

function appendParam(app: DuckDBAppender, type: DuckDBTypeId, v: SqlParam): void {
  if (v === null) return app.appendNull();
  switch (type) {
    case DuckDBTypeId.BIGINT:
      return app.appendBigInt(BigInt(v as number));
    case DuckDBTypeId.INTEGER:
      return app.appendInteger(Number(v));
    case DuckDBTypeId.DOUBLE:
      return app.appendDouble(Number(v));
    case DuckDBTypeId.BOOLEAN:
      return app.appendBoolean(Boolean(v));
    default:
      return app.appendVarchar(String(v));
  }
}

type Appendable = { app: DuckDBAppender; cols: readonly Column<Kind>[] };

class DuckDbStaging implements Staging {
  private readonly appenders = new Map<Kind, Appendable>();
  private released = false;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly exec: (sql: string) => Promise<void>,
    readonly transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>,
  ) {}

  /** The appender writes synchronously: nothing is ever in flight. */
  drain(): Promise<void> {
    return Promise.resolve();
  }

  append<K extends Kind>(kind: K, staged: Staged<K>): void {
    const a = this.appenders.get(kind);
    if (a === undefined) throw new Error(`staging for ${kind} is released`);
    const { app, cols } = a;
    app.appendBigInt(BigInt(staged.seq));
    const rec = staged.record;
    for (const c of cols) {
      const v = (c as unknown as Column<K>).get(rec);
      if (v === null) app.appendNull();
      else if (c.type === 'text') app.appendVarchar(v as string);
      else if (c.type === 'bigint') app.appendBigInt(BigInt(v as number));
      else app.appendDouble(v as number);
    }
    if (staged.tupleKey === null) app.appendNull();
    else app.appendVarchar(staged.tupleKey);
    app.endRow();
  }

  /** Creates one appender per kind, so that append() can stay synchronous. */
  async prepare(): Promise<void> {
    for (const kind of KINDS) {
      const app = await this.conn.createAppender(`stg_${kind}`, 'main', 'temp');
      const cols = [...FIELDS[kind], ...commonColumns()] as unknown as readonly Column<Kind>[];
      this.appenders.set(kind, { app, cols });
    }
  }

  async flush(): Promise<void> {
    for (const { app } of this.appenders.values()) app.flushSync();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const { app } of this.appenders.values()) {
      try {
        app.closeSync();
      } catch {
        // already closed by a failed flush; nothing left to release
      }
    }
    this.appenders.clear();
    for (const kind of KINDS) await this.exec(`DROP TABLE IF EXISTS stg_${kind}`);
  }
}
