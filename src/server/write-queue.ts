/**
 * The collector's write path. A request's records are validated at once (the importer's own
 * validator, so each rejected record is named in the answer) and the valid ones are appended to
 * a local journal (journal.ts); the request is answered when that append is on disk. A merger
 * reads the journal behind them and merges it into the store in large batches through the
 * importer (stage → identity stitching → journeys, one transaction), writing how far it has
 * merged in that same transaction. So an acknowledged record survives a crash (it is in the
 * journal, and the journal is replayed from the merged position at the next start) and is never
 * counted twice (the position commits with the records; ids make any re-merge a no-op anyway).
 *
 * A merge takes from a fraction of a second to seconds. Answering before it means a request
 * waits for one disk sync, not for a merge: senders need few connections, bursts are absorbed,
 * and merging everything that arrived while the last merge ran keeps merges few and large.
 * The backlog is bounded: past it requests are refused with 429, so memory, disk and the lag of
 * analyses stay bounded when events arrive faster than merges commit them.
 */
import fs from 'node:fs';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Kind, RecordOfKind } from '../core/records.ts';
import type { RawRecord, RecordsOptions, RecordsSummary } from '../ingest/import.ts';
import { createValidator } from '../ingest/validate.ts';
import type { Validator } from '../ingest/validate.ts';
import type { Queryable, Store } from '../store/store.ts';
import { countDeadLetters, setAside } from './dead-letters.ts';
import type { NewDeadLetter } from './dead-letters.ts';
import { journalPositionKey } from './journal.ts';
import type { Journal } from './journal.ts';

export interface QueuedRecord {
  readonly kind: Kind;
  readonly fields: Record<string, unknown>;
  /** Position in the request (1-based), echoed in its errors. */
  readonly line: number;
}

export interface RecordError {
  readonly line: number;
  readonly reason: string;
}

export interface WriteResult {
  /** Records that passed validation and are durable (or were already stored under their id). */
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: readonly RecordError[];
}

/**
 * When a request is answered: `journal` once its records are on disk in the journal (the
 * Segment endpoints), `merge` once they are merged and visible to every read (the data-contract
 * endpoint, which stands in for `throughline import` while a server runs).
 */
export type Acknowledge = 'journal' | 'merge';

export interface WriteQueueOptions {
  /** Most records one merge takes; what arrived meanwhile waits for the next one. */
  readonly maxMergeRecords: number;
  /** Unmerged records beyond which requests are refused (429). */
  readonly maxBacklogRecords: number;
  /** Unmerged journal bytes beyond which requests are refused (429). */
  readonly maxBacklogBytes: number;
  /** Size at which the journal starts a new segment (merged segments are deleted whole). */
  readonly segmentBytes: number;
}

/**
 * A merge costs a fixed part (statements that scan the store) plus a part per record, and it
 * rebuilds the journeys of the customers (and intents) it touches once, however many of their
 * events it brings. Measured on a 1M-event DuckDB store, idle, with collector batches whose known
 * customers come from a pool of 20,000: 5,000 records 0.8 s, 20,000 1.5 s, 50,000 2.2–3.2 s,
 * 100,000 2.8–3.3 s (before journeys were rebuilt per intent; now 100,000 take 2.3–2.8 s). So a
 * merge takes up to 100,000: bench:server's steady 20,000 events/s went from ~8,600 merged a
 * second with merges of 20,000 to ~15,400 with 100,000, 15,400–17,450 once journeys were
 * rebuilt per intent, and 19,200–19,700 (keeping up) once open journeys were extended in place
 * rather than re-read (src/journey/build.ts, the append path). The costs: more memory while it runs, and on DuckDB the one connection that
 * reads of customers not in the live cache wait for. The backlog bound keeps the lag at the
 * bound to tens of seconds at that pace.
 */
export const DEFAULT_WRITE_QUEUE: WriteQueueOptions = Object.freeze({
  maxMergeRecords: 100_000,
  maxBacklogRecords: 200_000,
  maxBacklogBytes: 256 * 1024 * 1024,
  segmentBytes: 64 * 1024 * 1024,
});

/** Merges failed in a row after which /healthz says the collector is failing (each retry waits up to 10 s). */
const FAILING_AFTER = 3;

export type Importer = (records: Iterable<RawRecord>, options: Pick<RecordsOptions, 'onReject' | 'inTransaction'>) => Promise<RecordsSummary>;

export interface WriteQueueDeps {
  /** Where the merged position is kept (`settings`), read at start. */
  readonly store: Store;
  readonly importer: Importer;
  /** Opened, not yet recovered: `WriteQueue.open` recovers it. */
  readonly journal: Journal;
  /**
   * The journal is kept across restarts and replayed, so an append is durable and acknowledges
   * a request. False for a throwaway journal (deleted on close): every request then waits for
   * its merge, as nothing would replay the journal after a crash.
   */
  readonly durable: boolean;
  readonly options: WriteQueueOptions;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** One line of the journal: the valid records of one request and when they were appended. */
interface JournalLine {
  /** Epoch ms of the append: the age of the oldest unmerged line is the collector's lag. */
  readonly t: number;
  /** [kind, position in the request, contract fields]. */
  readonly r: readonly (readonly [Kind, number, Record<string, unknown>])[];
}

/** An unmerged line; `end` is -1 until its append is on disk. */
interface Unmerged {
  end: number;
  readonly t: number;
  readonly records: number;
  readonly bytes: number;
  /**
   * The line's records as validated when they were taken, so a merge neither reads the journal
   * back nor validates them again (about a third of a merge's JavaScript). Null for lines found
   * in the journal at start, which are read and validated as any import.
   */
  readonly checked: readonly CheckedRecord[] | null;
}

/**
 * A failure that is the store's, whatever the records: a table or column missing, the
 * connection, the disk, a lock or a conflict with another writer. Such a batch is retried whole
 * from the journal; only a failure that is none of these can be a record's fault.
 */
const STORE_FAULT =
  /catalog error|does not exist|no such table|connection|ECONN|ETIMEDOUT|terminat|shutting down|IO Error|read-only|no space|\bdisk\b|permission denied|could not serialize|deadlock|\block(ed|s)?\b|\bconflict|out of memory|interrupt/i;

function storeFault(e: unknown): boolean {
  return STORE_FAULT.test(e instanceof Error ? e.message : String(e));
}

/** A record of a merge and the journal position of its line (kept with it if it is set aside). */
type Positioned = { readonly position: number; readonly raw: RawRecord };

type CheckedRecord = { readonly kind: Kind; readonly line: number; readonly fields: Record<string, unknown>; readonly valid: RecordOfKind[Kind] };

interface Waiter {
  readonly end: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

const shuttingDown = (): AppError => new AppError('conflict', 'the server is shutting down', { hint: 'retry against the restarted server' });

async function writePosition(tx: Queryable, key: string, position: number): Promise<void> {
  await tx.exec(`DELETE FROM settings WHERE key = $1`, [key]);
  await tx.exec(`INSERT INTO settings (key, value) VALUES ($1, $2)`, [key, String(position)]);
}

export class WriteQueue {
  private readonly validators = new Map<Kind, Validator<Kind>>();
  /** Lines appended and not merged, in journal order. */
  private unmerged: Unmerged[] = [];
  private backlogRecords = 0;
  private backlogBytes = 0;
  /** Journal position everything before which is merged (and committed with the records). */
  private merged: number;
  private waiters: Waiter[] = [];
  private appending = new Set<Promise<unknown>>();
  private merging: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = 0;
  /** Records per second of recent merges, for Retry-After. */
  private mergeRate = 0;
  private closed = false;
  private draining = false;
  private closing: Promise<void> | null = null;
  private readonly now: () => number;
  private readonly key: string;
  /** Totals since start, for /healthz. */
  readonly stats = { batches: 0, records: 0, rejected: 0, failures: 0 };
  /** Records in the store's dead letters (dead-letters.ts), every server's: counted at start, then kept up. */
  private deadLetters = 0;
  /** Merges failed since the last one that succeeded, and when the latest failed (for /healthz). */
  private failedInARow = 0;
  private lastFailureAt: number | null = null;

  private constructor(
    private readonly deps: WriteQueueDeps,
    merged: number,
  ) {
    this.now = deps.now ?? Date.now;
    this.key = journalPositionKey(deps.journal.id);
    this.merged = merged;
  }

  /**
   * Reads how far the journal is merged, recovers the journal past that point (what a crash left
   * unmerged is merged again, in the background, as soon as this returns) and starts merging.
   */
  static async open(deps: WriteQueueDeps): Promise<WriteQueue> {
    const [row] = await deps.store.query(`SELECT value FROM settings WHERE key = $1`, [journalPositionKey(deps.journal.id)]);
    const committed = row === undefined ? 0 : Number(row.value);
    const queue = new WriteQueue(deps, committed);
    queue.deadLetters = await countDeadLetters(deps.store);
    let records = 0;
    const recovery = await deps.journal.recover(committed, (value, start, end) => {
      const line = value as JournalLine;
      if (typeof line?.t !== 'number' || !Array.isArray(line.r)) {
        throw new AppError('input', `the journal ${deps.journal.dir} holds a line at byte ${start} that is not one the collector wrote`, {
          hint: 'was another program writing into this directory? Give the server a directory of its own with --journal',
        });
      }
      queue.unmerged.push({ end, t: line.t, records: line.r.length, bytes: end - start, checked: null });
      queue.backlogRecords += line.r.length;
      queue.backlogBytes += end - start;
      records += line.r.length;
    });
    queue.merged = recovery.start;
    if (records > 0) deps.logger.info(`collector: merging ${records} records the journal holds from before the restart`);
    queue.kick();
    return queue;
  }

  /**
   * Validates the records and resolves when the valid ones are durable (`journal`) or merged
   * (`merge`); the answer lists every rejected record. Refused (429) while the backlog is full.
   */
  async submit(records: readonly QueuedRecord[], acknowledge: Acknowledge = 'journal'): Promise<WriteResult> {
    if (records.length === 0) {
      if (this.closed) throw shuttingDown();
      return { accepted: 0, rejected: 0, errors: [] };
    }
    this.assertRoom(records.length);
    const errors: RecordError[] = [];
    const valid: [Kind, number, Record<string, unknown>][] = [];
    const checked: CheckedRecord[] = [];
    for (const r of records) {
      const result = this.validator(r.kind)(r.fields, r.line);
      if (result.kind === 'ok') {
        valid.push([r.kind, r.line, r.fields]);
        checked.push({ kind: r.kind, line: r.line, fields: r.fields, valid: result.value });
      } else errors.push({ line: r.line, reason: result.reason });
    }
    this.stats.rejected += errors.length;
    const answer: WriteResult = { accepted: valid.length, rejected: errors.length, errors };
    if (valid.length === 0) return answer;

    const t = this.now();
    const text = JSON.stringify({ t, r: valid } satisfies JournalLine);
    // Counted before the append so that concurrent requests see it in the bound; the entry's
    // place in `unmerged` is its place in the journal, as appends are written in call order.
    const entry: Unmerged = { end: -1, t, records: valid.length, bytes: Buffer.byteLength(text) + 1, checked };
    this.unmerged.push(entry);
    this.backlogRecords += entry.records;
    this.backlogBytes += entry.bytes;
    const appended = this.deps.journal.append(text);
    this.appending.add(appended);
    try {
      entry.end = await appended;
    } catch (e) {
      const at = this.unmerged.indexOf(entry);
      if (at !== -1) this.unmerged.splice(at, 1);
      this.backlogRecords -= entry.records;
      this.backlogBytes -= entry.bytes;
      throw e;
    } finally {
      this.appending.delete(appended);
    }
    this.kick();
    if (acknowledge === 'merge' || !this.deps.durable) await this.mergedPast(entry.end);
    return answer;
  }

  /**
   * What /healthz shows: the unmerged backlog (records being appended included), how old its
   * oldest record is, and totals since start.
   */
  health(): Record<string, number | string> {
    const oldest = this.unmerged[0];
    return {
      acknowledge: this.deps.durable ? 'journal' : 'merge',
      // A journal that could not be written refuses every event until the server restarts.
      journal: this.deps.journal.failed ? 'failed' : 'ok',
      waiting: this.backlogRecords,
      backlog_bytes: this.backlogBytes,
      lag_ms: oldest === undefined ? 0 : Math.max(0, this.now() - oldest.t),
      ...this.stats,
      failed_in_a_row: this.failedInARow,
      dead_letters: this.deadLetters,
      // When, not why: /healthz needs no key, and a store's message can name tables and paths.
      // The server log has the message.
      ...(this.lastFailureAt !== null ? { last_failure_at: new Date(this.lastFailureAt).toISOString() } : {}),
    };
  }

  /**
   * Why the collector cannot do its job, or null while it can. A merge that fails is retried
   * from the journal, and one failure is usually passing (a lock, a restart of PostgreSQL); one
   * that keeps failing holds every later event back until someone acts, and must be seen.
   */
  failing(): string | null {
    if (this.deps.journal.failed) return "the collector's journal could not be written; restart the server once the disk is fixed";
    if (this.failedInARow >= FAILING_AFTER) {
      return `the last ${this.failedInARow} merges of collected events into the store failed (the server log says why); events wait in the journal and are merged once the store takes them`;
    }
    return null;
  }

  /**
   * Throws what `submit` would answer for `incoming` more records (shutting down; 429 while the
   * backlog is full), so a caller can refuse a request before doing any work on it.
   */
  assertRoom(incoming: number): void {
    if (this.closed) throw shuttingDown();
    if (this.full(incoming)) {
      throw new AppError('rate_limited', 'the collector is busy merging earlier events', { hint: `retry in ${this.retryAfterSeconds()} s` });
    }
  }

  /** A guess at when a refused request would be taken: the time to merge the excess at the recent pace. */
  retryAfterSeconds(): number {
    const excess = Math.max(this.backlogRecords - this.deps.options.maxBacklogRecords / 2, 0);
    return this.mergeRate > 0 ? Math.min(60, Math.max(1, Math.ceil(excess / this.mergeRate))) : 1;
  }

  private full(incoming: number): boolean {
    const o = this.deps.options;
    return this.backlogRecords + incoming > o.maxBacklogRecords || this.backlogBytes >= o.maxBacklogBytes;
  }

  private validator(kind: Kind): Validator<Kind> {
    let v = this.validators.get(kind);
    if (v === undefined) {
      v = createValidator(kind) as Validator<Kind>;
      this.validators.set(kind, v);
    }
    return v;
  }

  private mergedPast(end: number): Promise<void> {
    if (this.merged >= end) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.push({ end, resolve, reject }));
  }

  /** Starts a merge now if none runs and something durable waits; an idle merger starts at once. */
  private kick(): void {
    if (this.merging !== null || this.retryTimer !== null || this.draining) return;
    if ((this.unmerged[0]?.end ?? -1) < 0) return;
    this.merging = this.mergeNext().then(
      () => {
        this.retryMs = 0;
      },
      () => {
        // The journal still holds the records: try again, backing off while the store fails.
        this.retryMs = Math.min(Math.max(this.retryMs * 2, 250), 10_000);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.kick();
        }, this.retryMs);
      },
    );
    void this.merging.finally(() => {
      this.merging = null;
      this.kick();
    });
  }

  /** Merges the oldest durable lines, up to `maxMergeRecords`, and records the new position in the same transaction. */
  private async mergeNext(): Promise<void> {
    let count = 0;
    let take = 0;
    while (take < this.unmerged.length) {
      const u = this.unmerged[take]!;
      if (u.end < 0 || (take > 0 && count + u.records > this.deps.options.maxMergeRecords)) break;
      count += u.records;
      take++;
    }
    const from = this.merged;
    const to = this.unmerged[take - 1]!.end;
    const started = performance.now();
    let mergeRejected = 0;
    let letters: NewDeadLetter[] = [];
    try {
      const records: Positioned[] = [];
      let start = from;
      const batch = this.unmerged.slice(0, take);
      if (batch.every((u) => u.checked !== null)) {
        for (const u of batch) {
          const source = `journal@${start}`;
          for (const c of u.checked!) records.push({ position: start, raw: { source, line: c.line, kind: c.kind, fields: c.fields, valid: c.valid } });
          start = u.end;
        }
      } else {
        for (const { value, end } of await this.deps.journal.read(from, to)) {
          const source = `journal@${start}`;
          for (const [kind, line, fields] of (value as JournalLine).r) records.push({ position: start, raw: { source, line, kind, fields } });
          start = end;
        }
      }
      // Every record passed this validator when it was taken; one failing now means the
      // contract changed between a crash and the restart. It cannot be answered any more.
      const onReject = (): void => void mergeRejected++;
      let positioned = false;
      try {
        await this.deps.importer(
          records.map((r) => r.raw),
          {
            onReject,
            inTransaction: async (tx) => {
              await writePosition(tx, this.key, to);
              positioned = true;
            },
          },
        );
      } catch (e) {
        // The second wall behind validation: find the records the store refuses, set them
        // aside, merge the rest. Throws (and the whole batch is retried later) when it is the
        // store that fails rather than a record.
        positioned = false;
        letters = await this.isolate(records, e, onReject);
      }
      // No valid record (or the batch merged in parts), so no merge transaction wrote it: the
      // position moves on by itself, with the dead letters it passes.
      if (!positioned) {
        await this.deps.store.transaction(async (tx) => {
          await setAside(tx, letters, this.now());
          await writePosition(tx, this.key, to);
        });
      }
    } catch (e) {
      this.stats.failures++;
      this.failedInARow++;
      this.lastFailureAt = this.now();
      this.deps.logger.warn(`collector: a merge of ${count} records failed, retrying (they stay in the journal): ${e instanceof Error ? e.message : String(e)}`);
      // Requests waiting for this merge are told it failed; the retry may still store their records, and ids make a re-send harmless.
      this.settleWaiters(to, e);
      throw e;
    }
    if (mergeRejected > 0) this.deps.logger.warn(`collector: ${mergeRejected} journalled records no longer pass validation and were not merged`);
    if (letters.length > 0) {
      this.deadLetters += letters.length;
      this.deps.logger.warn(`collector: ${letters.length} records made the merge fail and were set aside (throughline deadletter list); the other ${count - letters.length} merged`);
    }
    const bytes = to - from;
    this.failedInARow = 0;
    this.merged = to;
    this.unmerged.splice(0, take);
    this.backlogRecords -= count;
    this.backlogBytes -= bytes;
    this.stats.batches++;
    this.stats.records += count;
    const seconds = Math.max((performance.now() - started) / 1000, 0.001);
    this.mergeRate = this.mergeRate === 0 ? count / seconds : 0.7 * this.mergeRate + 0.3 * (count / seconds);
    this.settleWaiters(to, null);
    try {
      await this.deps.journal.release(to);
    } catch (e) {
      this.deps.logger.warn(`collector: could not delete merged journal segments: ${(e as Error).message}`);
    }
  }

  /**
   * Merges `records` in halves, recursively, until each part merges or is one record that fails
   * on its own twice: that record is returned as a dead letter. Before a failure is blamed on a
   * record the store must answer a query, so a store that is down fails the whole batch (to be
   * retried from the journal) instead of filling the dead letters. Parts that merge are not
   * positioned: if the process dies meanwhile the batch is merged again, and ids make that a
   * no-op for the parts already in.
   */
  private async isolate(records: readonly Positioned[], failure: unknown, onReject: () => void): Promise<NewDeadLetter[]> {
    if (storeFault(failure)) throw failure;
    const letters: NewDeadLetter[] = [];
    const storeAnswers = async (): Promise<void> => {
      await this.deps.store.query(`SELECT 1 AS x`);
    };
    const merge = (part: readonly Positioned[]): Promise<unknown> => this.deps.importer(part.map((r) => r.raw), { onReject });
    const split = async (part: readonly Positioned[], error: unknown): Promise<void> => {
      await storeAnswers();
      if (part.length === 1) {
        // Once more on its own: a lock or a dropped connection is not the record's fault.
        try {
          await merge(part);
          return;
        } catch (again) {
          if (storeFault(again)) throw again;
          await storeAnswers();
          const r = part[0]!;
          const reason = again instanceof Error ? again.message : String(again ?? error);
          letters.push({ journal: this.deps.journal.id, position: r.position, kind: r.raw.kind, line: r.raw.line, fields: r.raw.fields, reason });
          return;
        }
      }
      const mid = part.length >> 1;
      for (const half of [part.slice(0, mid), part.slice(mid)]) {
        try {
          await merge(half);
        } catch (e) {
          if (storeFault(e)) throw e;
          await split(half, e);
        }
      }
    };
    this.deps.logger.warn(`collector: a merge of ${records.length} records failed (${failure instanceof Error ? failure.message : String(failure)}); merging it in parts to find the records the store refuses`);
    await split(records, failure);
    return letters;
  }

  private settleWaiters(upTo: number, error: unknown): void {
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.end > upTo) still.push(w);
      else if (error === null) w.resolve();
      else w.reject(error);
    }
    this.waiters = still;
  }

  /**
   * Refuses new requests, lets appends in progress finish, merges everything the journal holds
   * (so a stopped server leaves a complete database) and closes the journal. If a merge fails
   * now, a durable journal keeps the rest for the next start. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.allSettled([...this.appending]);
      this.draining = true;
      if (this.retryTimer !== null) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      if (this.merging !== null) await this.merging;
      while (this.unmerged.length > 0 && this.unmerged[0]!.end >= 0) {
        try {
          await this.mergeNext();
        } catch {
          if (this.deps.durable) this.deps.logger.warn(`collector: ${this.backlogRecords} records stay in the journal ${this.deps.journal.dir}; the next start merges them`);
          break;
        }
      }
      this.settleWaiters(Infinity, new AppError('conflict', 'the server stopped before these records were merged', { hint: 'send them again to the restarted server' }));
      await this.deps.journal.close();
      if (!this.deps.durable) fs.rmSync(this.deps.journal.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }
}

