/** What bench/import-child.ts reports to bench/import.ts: one prefixed JSON line on stdout. */
import type { ImportSummary } from '../src/ingest/import.ts';

export const RESULT_PREFIX = 'BENCH_RESULT ';

export interface StatementTiming {
  readonly sql: string;
  readonly seconds: number;
}

export interface ChildResult {
  readonly openSeconds: number;
  /** importFiles, start to return: what the benchmark compares with DuckDB's bare load. */
  readonly importSeconds: number;
  /** Parse, validate and append to staging, up to the `merging` progress report. */
  readonly readSeconds: number;
  /** Dedup, stitching, insert and journeys, in one transaction (including its commit). */
  readonly mergeSeconds: number;
  /** Time inside the merge's SQL statements and its commit; the rest of the merge is JavaScript (stitching). */
  readonly mergeSqlSeconds: number;
  readonly closeSeconds: number;
  readonly statements: readonly StatementTiming[];
  /** process.resourceUsage().maxRSS at the end: the kernel's high-water mark. */
  readonly maxRssMB: number;
  /** Highest RSS seen by polling every 100 ms, and the same split by phase. */
  readonly polledPeakRssMB: number;
  readonly readPeakRssMB: number;
  readonly mergePeakRssMB: number;
  /** Highest V8 heap in use plus external (Buffer) memory seen by the same polling: the JavaScript share of the RSS. */
  readonly heapPeakMB: number;
  readonly summary: Pick<ImportSummary, 'imported' | 'skipped_duplicates' | 'rejected' | 'customers' | 'journeys' | 'rejects_file'>;
}
