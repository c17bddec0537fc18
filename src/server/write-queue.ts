/**
 * The collector's write path: requests hand their records to one queue that merges everything
 * that arrived in the last few milliseconds in one import (validate → stage → merge, one
 * transaction), then answers each request once that transaction has committed. One merge per
 * flush instead of one per request is what makes real-time ingestion cheap; answering only after
 * the commit is what makes an acknowledgement mean "durable". Ids make a re-delivery harmless.
 */
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Kind } from '../core/records.ts';
import type { RawRecord, RecordsOptions, RecordsSummary } from '../ingest/import.ts';

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
  /** Records that passed validation and are committed (or were already stored under their id). */
  readonly accepted: number;
  readonly rejected: number;
  readonly errors: readonly RecordError[];
}

export interface WriteQueueOptions {
  /** Longest a record waits for others before its batch is merged. */
  readonly maxDelayMs: number;
  /** A batch this large is merged at once. */
  readonly maxRecords: number;
  /** Records waiting beyond this are refused (429) so memory stays bounded under overload. */
  readonly maxPending: number;
}

/**
 * Group commit: an idle queue merges after a few milliseconds (gathering requests that arrive
 * together) instead of a fixed 50–100 ms tick, so a lone event is not delayed; under load,
 * everything that arrives while a merge runs goes into the next one, so merges stay few and
 * large without a timer. A merge has a fixed cost of tens of milliseconds whatever its size.
 */
export const DEFAULT_WRITE_QUEUE: WriteQueueOptions = Object.freeze({ maxDelayMs: 5, maxRecords: 5000, maxPending: 200_000 });

type Importer = (records: Iterable<RawRecord>, options: Pick<RecordsOptions, 'onReject'>) => Promise<RecordsSummary>;

interface Ticket {
  readonly id: string;
  readonly records: readonly QueuedRecord[];
  readonly errors: RecordError[];
  readonly resolve: (r: WriteResult) => void;
  readonly reject: (e: unknown) => void;
}

export class WriteQueue {
  private pending: Ticket[] = [];
  private pendingRecords = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private seq = 0;
  /** Totals since start, for /healthz. */
  readonly stats = { batches: 0, records: 0, rejected: 0, failures: 0 };

  constructor(
    private readonly importer: Importer,
    private readonly options: WriteQueueOptions,
    private readonly logger: Logger,
  ) {}

  /** Resolves once every valid record of this submission is committed. */
  submit(records: readonly QueuedRecord[]): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new AppError('conflict', 'the server is shutting down', { hint: 'retry against the restarted server' }));
    if (records.length === 0) return Promise.resolve({ accepted: 0, rejected: 0, errors: [] });
    if (this.pendingRecords + records.length > this.options.maxPending) {
      return Promise.reject(new AppError('rate_limited', 'the collector is busy merging earlier events', { hint: 'retry in a moment' }));
    }
    return new Promise<WriteResult>((resolve, reject) => {
      this.pending.push({ id: `w${++this.seq}`, records, errors: [], resolve, reject });
      this.pendingRecords += records.length;
      this.schedule();
    });
  }

  get waiting(): number {
    return this.pendingRecords;
  }

  private schedule(): void {
    if (this.flushing !== null) return; // the running flush picks the rest up when it ends
    if (this.pendingRecords >= this.options.maxRecords) {
      this.clearTimer();
      void this.flush();
      return;
    }
    if (this.timer === null) this.timer = setTimeout(() => void this.flush(), this.options.maxDelayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): Promise<void> {
    this.clearTimer();
    if (this.flushing !== null) return this.flushing;
    if (this.pending.length === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    this.pendingRecords = 0;
    this.flushing = this.merge(batch).finally(() => {
      this.flushing = null;
      // What arrived during the merge has already waited that long: merge it without delay.
      if (this.pending.length > 0) void this.flush();
    });
    return this.flushing;
  }

  private async merge(batch: Ticket[]): Promise<void> {
    const byId = new Map(batch.map((t) => [t.id, t]));
    function* records(): Iterable<RawRecord> {
      for (const t of batch) for (const r of t.records) yield { source: t.id, line: r.line, kind: r.kind, fields: r.fields };
    }
    const count = batch.reduce((n, t) => n + t.records.length, 0);
    try {
      const summary = await this.importer(records(), { onReject: (r, reason) => byId.get(r.source)?.errors.push({ line: r.line, reason }) });
      this.stats.batches++;
      this.stats.records += count;
      this.stats.rejected += summary.rejected;
      for (const t of batch) t.resolve({ accepted: t.records.length - t.errors.length, rejected: t.errors.length, errors: t.errors });
    } catch (e) {
      this.stats.failures++;
      this.logger.warn(`collector: a merge of ${count} records failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const t of batch) t.reject(e);
    }
  }

  /** Merges what is waiting and refuses anything new; resolves when the last merge is done. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.length > 0 || this.flushing !== null) await this.flush();
  }
}
