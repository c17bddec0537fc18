/**
 * What every input parser (CSV, JSON Lines, XES) yields: one item per record, with the
 * 1-based line where the record starts in the file as an editor shows it (a CSV header is
 * line 1). Parsers never throw for a bad record; they yield `{ok: false}` and go on.
 */
export type Format = 'csv' | 'jsonl' | 'xes';

export interface SourceRow {
  readonly line: number;
  /** Column or key name → value. CSV values are strings ('' for an empty cell); JSON keeps its types. */
  readonly fields: Record<string, unknown>;
}

export type SourceItem =
  | { readonly ok: true; readonly row: SourceRow }
  | { readonly ok: false; readonly line: number; readonly reason: string; readonly raw: string };

export interface Source {
  readonly path: string;
  readonly format: Format;
  readonly gzip: boolean;
  /** Size of the file on disk, for progress. */
  readonly totalBytes: number;
  /** Bytes of the file on disk consumed so far (compressed bytes for gzip). */
  bytesRead(): number;
  /** CSV: the header row. JSON Lines: the keys of the first record. XES: undefined. */
  readonly header: readonly string[] | undefined;
  items(): AsyncIterable<SourceItem>;
  /** The same items, a chunk of the file's at a time: what an import reads, at less cost per record. */
  batches(): AsyncIterable<readonly SourceItem[]>;
  /** The text encoding in use, given or detected (for messages such as "read as Latin-1"). */
  readonly encoding?: 'utf8' | 'latin1';
  /** CSV: the field separator in use, given or detected. */
  readonly delimiter?: string;
}

export interface OpenOptions {
  /** Overrides detection by extension and content. */
  readonly format?: Format;
  /** CSV field separator; detected from the header line when absent (`,`, `;`, tab, `|`). */
  readonly delimiter?: string;
  /** 'utf8' or 'latin1'; detected when absent (UTF-8 unless the start of the file is not valid UTF-8). */
  readonly encoding?: 'utf8' | 'latin1';
}

/**
 * Opens a fresh stream of decoded text chunks over the whole file (BOM already removed). Each
 * call starts again at the beginning, which lets a parser read the header at open time and the
 * records later without holding the file in memory.
 */
export type OpenText = () => AsyncIterable<string>;

/** What a format parser hands back to `openSource`: the header, known at open time, and the records. */
export interface ParsedText {
  readonly header: readonly string[] | undefined;
  /** CSV: the field separator in use. */
  readonly delimiter?: string;
  items(): AsyncIterable<SourceItem>;
  /** Where the parser has them: the items a chunk at a time (else `Source.batches` groups `items`). */
  batches?(): AsyncIterable<readonly SourceItem[]>;
}
