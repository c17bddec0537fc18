/**
 * The live cache behind the customer context and the engagement guard (docs/scaling.md, "The
 * live context"). DuckDB is a column store: finding one customer's rows means scanning every
 * table (milliseconds each at a million events), and statements run one at a time on the
 * server's connection, so an agent desk asking for a thousand contexts a second cannot be served
 * from SQL. The server is the only process writing an embedded store, so it can keep, in memory,
 * each customer's rows (engage/facts.ts `CustomerRows`, none of it depending on the clock) and
 * whom each identifier names, and know every change:
 *  - the collector's merges report the customers and identifiers they touched; those entries are
 *    dropped at once and read again in the background;
 *  - any other write to a table the cache holds, through the store the routes are given
 *    (`watchWrites`), drops what it may have touched: the customers named in the statement's
 *    parameters or in the `customer_key` it returns (`RETURNING customer_key`), or everything;
 *  - open cases, which many routes write, are kept apart as one small index rebuilt after any
 *    write to `cases`; until it is rebuilt a context reads its customer's cases from the store.
 * A read that ran while a change it could have missed was made is not kept (`Watch`). Entries
 * are evicted least recently used beyond `maxCustomers` customers (and four identifiers each).
 * On PostgreSQL other processes write the same tables: every writer announces what it changed
 * through the store (`LiveChanges`, below: NOTIFY on the `customers` topic), and every server's
 * cache drops exactly that; a lost LISTEN connection drops everything.
 *
 * The cache warms in the background (`preload`): the identifiers first, then the most recently
 * active customers in batches, each kept as soon as it is read; requests are answered from the
 * store meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import { caseRow, loadCustomerRows, OPEN_CASES_SQL, sortCases } from '../engage/index.ts';
import type { CustomerRows } from '../engage/index.ts';
import { customerKeyExists, identifierKeys, isCustomerKey, orderKeys, pickCustomer } from '../identity/customers.ts';
import { parseIdentifier } from '../identity/normalize.ts';
import type { MergeChanges } from '../ingest/import.ts';
import { ANNOUNCE_MAX_BYTES } from '../store/store.ts';
import type { Notice, Queryable, Row, SqlParam, Store } from '../store/store.ts';

export interface CustomerCacheOptions {
  /** Customers whose rows are kept; beyond it the least recently used are dropped. 0 turns the cache off. */
  readonly maxCustomers: number;
  readonly logger: Logger;
  /** Customers read per statement while warming (default 1,000). */
  readonly warmBatch?: number;
}

/** Identifiers remembered per customer the cache may hold: whom `type:value` names, for lookups. */
const IDENTIFIERS_PER_CUSTOMER = 4;

/** Whoever must hear of a write to what the cache holds: the cache itself, and the other processes. */
export interface ChangeSink {
  changed(changes: MergeChanges | 'all', cases?: boolean): void;
}

/** Default size: about 1.5 KB per customer of a typical history, so ~400 MB at 250,000 customers. */
export const DEFAULT_CACHE_CUSTOMERS = 250_000;

/** Tables whose rows the cache holds (cases are kept apart, see above). */
const CACHED_TABLES = new Set(['id_tuples', 'profiles', 'holdings', 'consents', 'promises', 'journeys', 'interactions', 'feedback']);

type CaseRow = CustomerRows['cases'][number];

/** Changes made while a read was running: its result is kept only for what none of them touched. */
class Watch {
  all = false;
  readonly customers = new Set<string>();
  readonly identifiers = new Set<string>();
  cases = false;
}

export class CustomerCache {
  /** Insertion order is recency: a hit moves its entry to the end; eviction takes from the front. */
  private readonly rows = new Map<string, CustomerRows>();
  /** `type:value` → the keys of the tuples holding it (null for tuples that link nothing). */
  private readonly names = new Map<string, (string | null)[]>();
  private openCases: Map<string, CaseRow[]> | null = null;
  /** The index says what the store says (no write to cases since it was read). */
  private casesValid = false;
  private casesDirty = false;
  private readonly watches = new Set<Watch>();
  private refreshing: Promise<void> | null = null;
  private readonly toRefresh = new Set<string>();
  private casesRebuild: Promise<void> | null = null;
  private preloading: Promise<void> | null = null;
  /** Everything was dropped while (or after) warming: warm again. */
  private rewarm = false;
  private warmWanted = false;
  private closed = false;
  readonly stats = { hits: 0, misses: 0, preloaded: false, preload_seconds: null as number | null, warming: false, warmed: 0 };

  /** For /healthz. */
  describe(): {
    enabled: boolean;
    customers: number;
    identifiers: number;
    hits: number;
    misses: number;
    preloaded: boolean;
    preload_seconds: number | null;
    /** The background warm-up is running; contexts it has not reached yet are read from the store. */
    warming: boolean;
    /** Customers the current or last warm-up kept. */
    warmed: number;
    max_customers: number;
    /** Open cases come from memory (false while the index is read, and after a write to cases until it is read again). */
    open_cases_ready: boolean;
  } {
    return { enabled: this.enabled, ...this.size, ...this.stats, max_customers: this.options.maxCustomers, open_cases_ready: this.casesValid };
  }

  /**
   * `db` answers requests (a customer not in memory); `background`, best a connection of its own
   * (`Store.openReader`), serves the preload, the refreshes after writes and the open-cases
   * index: reads of many customers that take seconds under load and, on the request connection,
   * would hold up every merge behind them.
   */
  constructor(
    private readonly db: Queryable,
    private readonly options: CustomerCacheOptions,
    private readonly background: Queryable = db,
  ) {}

  get enabled(): boolean {
    return this.options.maxCustomers > 0;
  }

  get size(): { customers: number; identifiers: number } {
    return { customers: this.rows.size, identifiers: this.names.size };
  }

  /** Resolves `type:value` or a customer key as `resolveCustomer` does, from memory when it can. */
  async resolve(text: string): Promise<string> {
    if (isCustomerKey(text)) {
      if (this.rows.has(text)) return text;
      if (!(await customerKeyExists(this.db, text))) throw new AppError('not_found', `no customer has key ${text}`);
      return text;
    }
    const id = parseIdentifier(text);
    const name = `${id.type}:${id.value}`;
    let keys = this.names.get(name);
    if (keys !== undefined) {
      this.names.delete(name);
      this.names.set(name, keys);
    } else {
      const watch = this.watch();
      try {
        keys = await identifierKeys(this.db, id);
      } finally {
        this.watches.delete(watch);
      }
      // An identifier no record holds is not remembered: it is looked up again next time.
      if (this.enabled && keys.length > 0 && !watch.all && !watch.identifiers.has(name)) this.keepName(name, keys);
    }
    return pickCustomer(id, keys);
  }

  /** A customer's rows, from memory when they are there. */
  async rowsOf(key: string): Promise<CustomerRows> {
    const cached = this.rows.get(key);
    if (cached !== undefined) {
      this.stats.hits++;
      this.rows.delete(key);
      this.rows.set(key, cached);
      return { ...cached, cases: await this.casesOf(key) };
    }
    this.stats.misses++;
    // Watched from before the first read, so that no change can fall between the two.
    const watch = this.watch();
    let loaded: CustomerRows;
    try {
      loaded = (await loadCustomerRows(this.db, { key })).get(key)!;
    } finally {
      this.watches.delete(watch);
    }
    if (!watch.all && !watch.customers.has(key)) this.keep(key, loaded);
    return { ...loaded, cases: await this.casesOf(key) };
  }

  /** What a write changed; 'all' when it cannot say. Dropped entries are read again in the background. */
  changed(changes: MergeChanges | 'all', cases = true): void {
    if (cases) this.casesChanged();
    if (changes === 'all') {
      for (const w of this.watches) w.all = true;
      this.rows.clear();
      this.names.clear();
      this.toRefresh.clear();
      if (this.warmWanted) {
        this.rewarm = true;
        void this.preload();
      }
      return;
    }
    for (const w of this.watches) {
      for (const k of changes.customers) w.customers.add(k);
      for (const n of changes.identifiers) w.identifiers.add(n);
    }
    for (const n of changes.identifiers) this.names.delete(n);
    for (const k of changes.customers) {
      if (this.rows.delete(k)) this.toRefresh.add(k);
    }
    this.scheduleRefresh();
  }

  /**
   * Hears what another process changed (`Store.watch('customers')`, a `LiveChanges` notice):
   * drops exactly that; `null` (the listening connection was lost) drops everything.
   */
  hear(notice: Notice, self: string): void {
    if (notice === null) return this.changed('all');
    const heard = decodeChanges(notice);
    if (heard === null || heard.origin === self) return;
    this.changed(heard.changes, heard.cases);
  }

  /**
   * Warms the cache in the background: whom every identifier names (up to four per customer the
   * cache may hold), then the most recently active customers, up to `maxCustomers`, in batches
   * of `warmBatch`, each kept as soon as it is read. Requests are answered meanwhile, from the
   * store. `beforeBatch` is awaited before each batch of customers (tests hold the warm-up there).
   */
  preload(options: { beforeBatch?: () => Promise<void> } = {}): Promise<void> {
    this.warmWanted = true;
    this.preloading ??= (async () => {
      do {
        this.rewarm = false;
        await this.readAll(options.beforeBatch).catch((e: unknown) => {
          this.options.logger.warn(`live context cache: the warm-up failed, contexts are read from the store: ${e instanceof Error ? e.message : String(e)}`);
        });
      } while (this.rewarm && !this.closed);
    })().finally(() => (this.preloading = null));
    return this.preloading;
  }

  private async readAll(beforeBatch?: () => Promise<void>): Promise<void> {
    if (!this.enabled) return;
    const t0 = performance.now();
    this.stats.warming = true;
    this.stats.warmed = 0;
    try {
      await this.readNames();
      const max = this.options.maxCustomers;
      const ranked = await this.background.query(
        `SELECT customer_key FROM interactions WHERE customer_key IS NOT NULL GROUP BY customer_key ORDER BY max(ts) DESC, customer_key LIMIT ${max}`,
      );
      const keys = ranked.map((r) => String(r.customer_key));
      const size = Math.max(1, this.options.warmBatch ?? 1000);
      for (let i = 0; i < keys.length; i += size) {
        if (this.closed || this.rewarm) return;
        if (beforeBatch) await beforeBatch();
        const batch = keys.slice(i, i + size).filter((k) => !this.rows.has(k));
        if (batch.length === 0) continue;
        const watch = this.watch();
        try {
          const loaded = await loadCustomerRows(this.background, { keys: batch });
          for (const [key, rows] of loaded) {
            if (watch.all || watch.customers.has(key) || this.rows.has(key)) continue;
            this.keep(key, rows);
            this.stats.warmed++;
          }
        } finally {
          this.watches.delete(watch);
        }
      }
      this.stats.preloaded = true;
      this.stats.preload_seconds = Math.round((performance.now() - t0) / 10) / 100;
      this.options.logger.info(`live context cache: ${this.rows.size} customers and ${this.names.size} identifiers in ${this.stats.preload_seconds} s`);
    } finally {
      this.stats.warming = false;
    }
  }

  /**
   * Whom identifiers name, from one scan of the tuples. Past the bound no new identifier is
   * taken, but those taken still gather every tuple that holds them, so each is complete.
   */
  private async readNames(): Promise<void> {
    const watch = this.watch();
    const room = this.maxNames - this.names.size;
    try {
      const names = new Map<string, Set<string | null>>();
      // Read to the end even when closed meanwhile (skipping the work): a DuckDB stream left
      // half-read keeps its database file locked after the store is closed.
      for await (const batch of this.background.stream(`SELECT customer_key, ${IDENTIFIER_TYPES.join(', ')} FROM id_tuples`)) {
        if (this.closed) continue;
        for (const r of batch) {
          for (const t of IDENTIFIER_TYPES) {
            const v = r[t];
            if (v === null || v === undefined) continue;
            const name = `${t}:${String(v)}`;
            let set = names.get(name);
            if (set === undefined) {
              if (names.size >= room) continue;
              names.set(name, (set = new Set()));
            }
            set.add((r.customer_key as string | null) ?? null);
          }
        }
      }
      if (this.closed) return;
      for (const [name, set] of names) {
        if (watch.all || watch.identifiers.has(name) || this.names.has(name)) continue;
        this.keepName(name, orderKeys([...set]));
      }
    } finally {
      this.watches.delete(watch);
    }
  }

  private get maxNames(): number {
    return this.options.maxCustomers * IDENTIFIERS_PER_CUSTOMER;
  }

  private keepName(name: string, keys: (string | null)[]): void {
    this.names.delete(name);
    this.names.set(name, keys);
    while (this.names.size > this.maxNames) this.names.delete(this.names.keys().next().value!);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.preloading;
    await this.refreshing;
    await this.casesRebuild;
  }

  private watch(): Watch {
    const w = new Watch();
    this.watches.add(w);
    return w;
  }

  private keep(key: string, rows: CustomerRows): void {
    if (!this.enabled) return;
    this.rows.delete(key);
    this.rows.set(key, rows);
    while (this.rows.size > this.options.maxCustomers) this.rows.delete(this.rows.keys().next().value!);
  }

  private scheduleRefresh(): void {
    if (this.refreshing !== null || this.toRefresh.size === 0 || this.closed) return;
    this.refreshing = (async () => {
      while (this.toRefresh.size > 0 && !this.closed) {
        const keys = [...this.toRefresh];
        this.toRefresh.clear();
        const watch = this.watch();
        try {
          const loaded = await loadCustomerRows(this.background, { keys });
          for (const [key, rows] of loaded) if (!watch.all && !watch.customers.has(key) && !this.rows.has(key)) this.keep(key, rows);
        } catch (e) {
          // The entries stay dropped: requests read them from the store.
          this.options.logger.warn(`live context cache: a refresh failed: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          this.watches.delete(watch);
        }
      }
    })().finally(() => (this.refreshing = null));
  }

  private async casesOf(key: string): Promise<CaseRow[]> {
    if (this.casesValid) return this.openCases!.get(key) ?? [];
    // Not a change: only make sure the index is being read. (Marking a change here would make
    // every request that arrives during a read throw that read away, and it would never finish.)
    if (this.casesRebuild === null) {
      this.casesDirty = true;
      this.rebuildCases();
    }
    const rows = await this.db.query(`SELECT * FROM (${OPEN_CASES_SQL}) c WHERE customer_key = $1`, [key]);
    return sortCases(rows.map(caseRow));
  }

  private casesChanged(): void {
    this.casesValid = false;
    this.casesDirty = true;
    for (const w of this.watches) w.cases = true;
    this.rebuildCases();
  }

  /** Reads the open-cases index until a read overlaps no change; one reader at a time. */
  private rebuildCases(): void {
    if (!this.enabled || this.casesRebuild !== null || this.closed) return;
    this.casesRebuild = (async () => {
      while (this.casesDirty && !this.closed) {
        this.casesDirty = false;
        const watch = this.watch();
        try {
          const index = new Map<string, CaseRow[]>();
          for (const r of await this.background.query(OPEN_CASES_SQL)) {
            const key = String(r.customer_key);
            let list = index.get(key);
            if (list === undefined) index.set(key, (list = []));
            list.push(caseRow(r));
          }
          for (const list of index.values()) sortCases(list);
          if (!watch.cases) {
            this.openCases = index;
            this.casesValid = true;
          } else {
            // A write made while the index was read: read it again.
            this.casesDirty = true;
          }
        } catch (e) {
          this.options.logger.warn(`live context cache: reading open cases failed: ${e instanceof Error ? e.message : String(e)}`);
          return;
        } finally {
          this.watches.delete(watch);
        }
      }
    })().finally(() => (this.casesRebuild = null));
  }
}


const RETURNS_CUSTOMER = /\bRETURNING\s+customer_key\s*$/i;

/** The table a write statement changes, or null for anything else (reads, temporary tables). */
export function writtenTable(sql: string): string | null {
  const m = /^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+([A-Za-z_][\w]*)/i.exec(sql);
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * The store as the routes see it: every write to a table the cache holds tells the cache, naming
 * the customers among the statement's parameters when there are any (a survey answer, a case),
 * or everything when there are none. The collector's merges use the bare store and report their
 * changes themselves, precisely.
 */
export function watchWrites(store: Store, cache: ChangeSink): Store {
  const seen = (sql: string, params: readonly SqlParam[] | undefined, returned: readonly Row[] = []): void => {
    const table = writtenTable(sql);
    if (table === null) return;
    if (table === 'cases') return cache.changed({ customers: [], identifiers: [] }, true);
    if (!CACHED_TABLES.has(table)) return;
    const keys = (params ?? []).filter((p): p is string => typeof p === 'string' && isCustomerKey(p));
    // A statement that names its rows by something else (a survey reply, by response_id) says
    // whose they are with `RETURNING customer_key`.
    if (RETURNS_CUSTOMER.test(sql)) for (const r of returned) if (typeof r.customer_key === 'string') keys.push(r.customer_key);
    const named = keys.length > 0 || RETURNS_CUSTOMER.test(sql);
    cache.changed(named && table !== 'id_tuples' ? { customers: keys, identifiers: [] } : 'all', false);
  };
  const wrap = (q: Queryable, note: typeof seen): Queryable => ({
    query: async (sql, params) => {
      const r = await q.query(sql, params);
      note(sql, params, r);
      return r;
    },
    exec: async (sql, params) => {
      await q.exec(sql, params);
      note(sql, params);
    },
    bulkInsert: async (table, columns, rows) => {
      await q.bulkInsert(table, columns, rows);
      note(`INSERT INTO ${table}`, undefined);
    },
    stream: (sql, params) => q.stream(sql, params),
  });
  const base = wrap(store, seen);
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'query' || prop === 'exec' || prop === 'bulkInsert' || prop === 'stream') return base[prop];
      if (prop === 'transaction') {
        // The cache hears of a transaction's writes once it has committed: its refreshes read on a
        // connection of their own, which does not see them before.
        return async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
          const writes: [string, readonly SqlParam[] | undefined, readonly Row[] | undefined][] = [];
          const r = await target.transaction((tx) => fn(wrap(tx, (sql, params, returned) => void writes.push([sql, params, returned]))));
          for (const [sql, params, returned] of writes) seen(sql, params, returned);
          return r;
        };
      }
      if (prop === 'openStaging') {
        // Staging is the importer's: whatever it merges may touch anything.
        return async () => {
          const staging = await target.openStaging();
          const release = staging.release.bind(staging);
          return Object.assign(staging, {
            release: async () => {
              await release();
              cache.changed('all');
            },
          });
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** More announcements than this for one change and it is announced as "everything changed". */
const MAX_NOTICES = 64;

interface HeardChanges {
  readonly origin: string;
  readonly changes: MergeChanges | 'all';
  readonly cases: boolean;
}

/**
 * A change as announcements on the `customers` topic, each under ANNOUNCE_MAX_BYTES: JSON
 * `{"o": origin, "c": [customer keys], "i": ["type:value"], "k": cases changed}`, the keys split
 * across several when they do not fit in one, or `{"o": origin, "all": true, "k": …}` past
 * MAX_NOTICES of them (or when the writer cannot say what it touched).
 */
export function encodeChanges(origin: string, changes: MergeChanges | 'all', cases: boolean): string[] {
  const all = JSON.stringify({ o: origin, all: true, k: cases });
  if (changes === 'all') return [all];
  const out: string[] = [];
  const room = ANNOUNCE_MAX_BYTES - Buffer.byteLength(JSON.stringify({ o: origin, c: [], i: [], k: cases }));
  let c: string[] = [];
  let i: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    out.push(JSON.stringify({ o: origin, c, i, k: cases && out.length === 0 }));
    c = [];
    i = [];
    bytes = 0;
  };
  const add = (list: 'c' | 'i', item: string): void => {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (bytes + size > room) flush();
    (list === 'c' ? c : i).push(item);
    bytes += size;
  };
  for (const k of changes.customers) add('c', k);
  for (const n of changes.identifiers) add('i', n);
  if (c.length > 0 || i.length > 0 || out.length === 0) flush();
  return out.length > MAX_NOTICES ? [all] : out;
}

/** An announcement read back; one this version cannot read counts as "everything changed". */
export function decodeChanges(text: string): HeardChanges | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return { origin: '', changes: 'all', cases: true };
  }
  if (typeof m !== 'object' || m === null) return { origin: '', changes: 'all', cases: true };
  const o = m as { o?: unknown; all?: unknown; c?: unknown; i?: unknown; k?: unknown };
  const origin = typeof o.o === 'string' ? o.o : '';
  const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null);
  const customers = strings(o.c);
  const identifiers = strings(o.i);
  if (o.all === true || customers === null || identifiers === null) return { origin, changes: 'all', cases: o.k !== false };
  return { origin, changes: { customers, identifiers }, cases: o.k === true };
}

/**
 * Tells the other processes on the store what this one changed (`Store.announce('customers')`),
 * after the write committed; the servers' caches drop exactly that (`CustomerCache.hear`).
 * An announcement that fails is logged: until the listeners reconnect, they may serve what
 * was changed.
 */
export class LiveChanges implements ChangeSink {
  readonly origin = randomUUID();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly store: Pick<Store, 'announce'>,
    private readonly logger: Logger,
  ) {}

  changed(changes: MergeChanges | 'all', cases = true): void {
    const sent: Promise<void> = this.store
      .announce('customers', encodeChanges(this.origin, changes, cases))
      .catch((e: unknown) => this.logger.warn(`live context cache: could not announce a change to the other servers: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  /** Waits for the announcements under way (before the store closes). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
