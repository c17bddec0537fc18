/**
 * RFC 4180 CSV as a streaming state machine. Chunks are scanned with `indexOf` and fields are
 * sliced out of the chunk, so the cost per byte stays close to the cost of the native search;
 * a record, or a single quoted field, may be split across any number of chunks.
 */
import { AppError } from '../../core/errors.ts';
import { MAX_LINE_CHARS } from '../limits.ts';
import { clip, setField } from './fields.ts';
import type { OpenText, ParsedText, SourceItem } from './types.ts';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * A single field longer than this is taken as a quote that was never closed: reading on would
 * pull the rest of a multi-gigabyte file into one string before failing.
 */
export const MAX_FIELD_CHARS = 64 * 1024 * 1024;

/** Candidates for auto-detection, in order of preference when two occur equally often. */
export const DELIMITER_CANDIDATES: readonly string[] = [',', ';', '\t', '|'];

/** One record as the tokenizer sees it: cells, the physical line it starts on, what is wrong with it. */
export interface CsvRecord {
  readonly cells: string[];
  readonly line: number;
  readonly error: string | undefined;
}

// Tokenizer states, plain numbers: the hot loop compares them for every field.
const START = 0; // at the first character of a field
const UNQUOTED = 1; // inside an unquoted field (or the junk after a closing quote)
const QUOTED = 2; // inside a quoted field
const QUOTED_QUOTE = 3; // just read a `"` inside a quoted field: an escape or the closing quote
const AFTER_QUOTED = 4; // after a closing quote, expecting a delimiter or the end of the line

/**
 * Splits text into records. Feed it chunks with `write` and finish with `end`; completed
 * records are appended to the array you pass, so one chunk costs one call and no callbacks.
 */
export class CsvTokenizer {
  private readonly delimiter: string;
  private readonly delimiterCode: number;
  private state = START;
  private cells: string[] = [];
  /** The part of the current field read so far, when it spans chunks or holds an escaped quote. */
  private field = '';
  private firstCellQuoted = false;
  private error: string | undefined = undefined;
  /** Physical line of the next character to read. */
  private line = 1;
  private recordLine = 1;
  private readonly name: string;

  /** `name` is the file, for the error about a field that never ends. */
  constructor(delimiter: string, name = 'the input') {
    checkDelimiter(delimiter);
    this.name = name;
    this.delimiter = delimiter;
    this.delimiterCode = delimiter.charCodeAt(0);
  }

  write(chunk: string, out: CsvRecord[]): void {
    const len = chunk.length;
    const delimiter = this.delimiter;
    const delimiterCode = this.delimiterCode;
    // Positions of the next delimiter and the next LF at or after `i`, `len` when there is none.
    // They are refreshed only once `i` has passed them, so each is searched for about once.
    let nextDelimiter = -1;
    let nextNewline = -1;
    let i = 0;
    while (i < len) {
      const state = this.state;
      if (state === START) {
        if (this.cells.length === 0) this.recordLine = this.line;
        if (chunk.charCodeAt(i) === QUOTE) {
          if (this.cells.length === 0) this.firstCellQuoted = true;
          this.state = QUOTED;
          i++;
          continue;
        }
        // An unquoted field scans exactly like the continuation of one.
        this.state = UNQUOTED;
      }
      if (state === START || state === UNQUOTED) {
        if (nextDelimiter < i) {
          nextDelimiter = chunk.indexOf(delimiter, i);
          if (nextDelimiter === -1) nextDelimiter = len;
        }
        if (nextNewline < i) {
          nextNewline = chunk.indexOf('\n', i);
          if (nextNewline === -1) nextNewline = len;
        }
        if (nextDelimiter < nextNewline) {
          this.cells.push(this.field + chunk.slice(i, nextDelimiter));
          this.field = '';
          this.state = START;
          i = nextDelimiter + 1;
        } else if (nextNewline < len) {
          let end = nextNewline;
          if (end > i && chunk.charCodeAt(end - 1) === CR) end--;
          let value = this.field + chunk.slice(i, end);
          // A CR that ended the previous chunk belongs to this CRLF.
          if (end === i && value.length > 0 && value.charCodeAt(value.length - 1) === CR) {
            value = value.slice(0, -1);
          }
          this.cells.push(value);
          this.field = '';
          this.state = START;
          i = nextNewline + 1;
          this.endRecord(out);
          this.line++;
        } else {
          this.field += chunk.slice(i);
          i = len;
          if (this.field.length > MAX_FIELD_CHARS) this.runaway();
        }
      } else if (state === QUOTED) {
        const quote = chunk.indexOf('"', i);
        const stop = quote === -1 ? len : quote;
        if (nextNewline < i) {
          nextNewline = chunk.indexOf('\n', i);
          if (nextNewline === -1) nextNewline = len;
        }
        while (nextNewline < stop) {
          this.line++;
          nextNewline = chunk.indexOf('\n', nextNewline + 1);
          if (nextNewline === -1) nextNewline = len;
        }
        this.field += chunk.slice(i, stop);
        if (quote === -1) {
          i = len;
          if (this.field.length > MAX_FIELD_CHARS) this.runaway();
        } else {
          this.state = QUOTED_QUOTE;
          i = quote + 1;
        }
      } else if (state === QUOTED_QUOTE) {
        if (chunk.charCodeAt(i) === QUOTE) {
          this.field += '"';
          this.state = QUOTED;
          i++;
        } else {
          this.state = AFTER_QUOTED;
        }
      } else {
        const c = chunk.charCodeAt(i);
        if (c === delimiterCode) {
          this.cells.push(this.field);
          this.field = '';
          this.state = START;
          i++;
        } else if (c === LF) {
          this.cells.push(this.field);
          this.field = '';
          this.state = START;
          i++;
          this.endRecord(out);
          this.line++;
        } else if (c === CR) {
          i++;
        } else {
          // `"abc"def` is not CSV. Keep reading so the record stays aligned, but reject it:
          // guessing what the writer meant would change the data without saying so.
          this.error ??= `column ${this.cells.length + 1} has text after its closing quote`;
          this.state = UNQUOTED;
        }
      }
    }
  }

  /** Flushes the last record when the file does not end with a newline. */
  end(out: CsvRecord[]): void {
    switch (this.state) {
      case START:
        // `a,b,` at the very end still has a third, empty cell.
        if (this.cells.length > 0) {
          this.cells.push('');
          this.endRecord(out);
        }
        break;
      case UNQUOTED: {
        const value = this.field;
        this.cells.push(value.length > 0 && value.charCodeAt(value.length - 1) === CR ? value.slice(0, -1) : value);
        this.endRecord(out);
        break;
      }
      case QUOTED:
        this.cells.push(this.field);
        this.error = `column ${this.cells.length} opens a quote that is never closed before the end of the file`;
        this.endRecord(out);
        break;
      case QUOTED_QUOTE:
      case AFTER_QUOTED:
        this.cells.push(this.field);
        this.endRecord(out);
        break;
    }
    this.field = '';
    this.state = START;
  }

  private runaway(): never {
    const quoted = this.state === QUOTED;
    throw new AppError(
      'input',
      `${this.name}: the field in column ${this.cells.length + 1} of the record starting on line ${this.recordLine} is longer than ${MAX_FIELD_CHARS / 1024 / 1024} MiB` +
        (quoted ? '; a quote is probably never closed: fix the quoting and import again' : ' with no line break; check the file is CSV with LF or CRLF line endings'),
    );
  }

  private endRecord(out: CsvRecord[]): void {
    const cells = this.cells;
    // A blank line reads as one empty unquoted cell; it is not a record.
    const blank = cells.length === 1 && cells[0] === '' && !this.firstCellQuoted && this.error === undefined;
    if (!blank) out.push({ cells, line: this.recordLine, error: this.error });
    this.cells = [];
    this.firstCellQuoted = false;
    this.error = undefined;
  }
}

function recordChars(cells: readonly string[]): number {
  let n = cells.length;
  for (let i = 0; i < cells.length; i++) n += cells[i]!.length;
  return n;
}

function checkDelimiter(delimiter: string): void {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new AppError('usage', `CSV delimiter ${JSON.stringify(delimiter)} cannot be used: give one character other than a quote or a line break`);
  }
}

/**
 * Picks the candidate that occurs most often outside quotes on the first non-blank line (the
 * header); `,` when none occurs, which is a one-column file.
 */
export function detectDelimiter(text: string): string {
  const counts = DELIMITER_CANDIDATES.map(() => 0);
  const codes = DELIMITER_CANDIDATES.map((d) => d.charCodeAt(0));
  let inQuotes = false;
  let content = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      inQuotes = !inQuotes;
      content = true;
    } else if (inQuotes) {
      continue;
    } else if (c === LF) {
      if (content) break;
    } else if (c !== CR && c !== 0x20) {
      content = true;
      const k = codes.indexOf(c);
      if (k !== -1) counts[k]!++;
    }
  }
  let best = 0;
  for (let k = 1; k < counts.length; k++) if (counts[k]! > counts[best]!) best = k;
  return DELIMITER_CANDIDATES[best]!;
}

/** Re-quotes cells the way they would be written, so a rejected row reads like the input. */
function rawRecord(cells: readonly string[], delimiter: string): string {
  return clip(
    cells
      .map((c) =>
        c.includes('"') || c.includes(delimiter) || c.includes('\n') || c.includes('\r') ? `"${c.replaceAll('"', '""')}"` : c,
      )
      .join(delimiter),
  );
}

function checkHeader(record: CsvRecord, name: string): string[] {
  if (record.error !== undefined) {
    throw new AppError('input', `${name}: the header row (line ${record.line}) is malformed: ${record.error}; fix the header and import again`);
  }
  const seen = new Map<string, number>();
  record.cells.forEach((column, k) => {
    const earlier = seen.get(column);
    if (earlier !== undefined) {
      const what = column === '' ? 'an empty column name' : `column "${column}"`;
      throw new AppError(
        'input',
        `${name}: ${what} appears twice in the header (columns ${earlier + 1} and ${k + 1}); rename one so every column has its own name, then import again`,
      );
    }
    seen.set(column, k);
  });
  return record.cells;
}

/**
 * Data records of a CSV text whose first non-blank record is the header. Rows whose cell count
 * differs from the header's, and malformed quoting, are yielded as `{ok: false}`.
 */
export async function* csvItems(chunks: AsyncIterable<string>, delimiter: string, name: string): AsyncGenerator<SourceItem> {
  for await (const batch of csvBatches(chunks, delimiter, name)) yield* batch;
}

/**
 * `csvItems`, the records of each text chunk in one array: an async generator's every yield
 * costs promises, a tenth of reading a million-row file when it was one per record.
 */
export async function* csvBatches(chunks: AsyncIterable<string>, delimiter: string, name: string): AsyncGenerator<SourceItem[]> {
  const tokenizer = new CsvTokenizer(delimiter, name);
  const records: CsvRecord[] = [];
  let header: string[] | undefined;
  let protoSafe = true;
  let ended = false;
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    while (!ended) {
      const next = await iterator.next();
      if (next.done === true) {
        tokenizer.end(records);
        ended = true;
      } else {
        tokenizer.write(next.value, records);
      }
      const batch: SourceItem[] = [];
      for (let r = 0; r < records.length; r++) {
        const record = records[r]!;
        if (header === undefined) {
          header = checkHeader(record, name);
          protoSafe = !header.includes('__proto__');
          continue;
        }
        const cells = record.cells;
        if (record.error !== undefined) {
          batch.push({ ok: false, line: record.line, reason: record.error, raw: rawRecord(cells, delimiter) });
        } else if (recordChars(cells) > MAX_LINE_CHARS) {
          batch.push({ ok: false, line: record.line, reason: `the record is longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB (DATA.md: 1 MB a line)`, raw: clip(cells.join(delimiter)) });
        } else if (cells.length !== header.length) {
          batch.push({
            ok: false,
            line: record.line,
            reason: `row has ${cells.length} cells, header has ${header.length}`,
            raw: rawRecord(cells, delimiter),
          });
        } else {
          const fields: Record<string, unknown> = {};
          if (protoSafe) {
            for (let k = 0; k < cells.length; k++) fields[header[k]!] = cells[k];
          } else {
            for (let k = 0; k < cells.length; k++) setField(fields, header[k]!, cells[k]);
          }
          batch.push({ ok: true, row: { line: record.line, fields } });
        }
      }
      records.length = 0;
      if (batch.length > 0) yield batch;
    }
  } finally {
    if (!ended) await iterator.return?.();
  }
}

/** Header text is searched for the delimiter up to this size; a longer header is read in full anyway. */
const HEADER_SNIFF_CHARS = 1024 * 1024;

/**
 * Reads the header at open time (detecting the delimiter unless given) so a duplicate column
 * or a malformed header fails the import before any record is processed.
 */
export async function openCsv(open: OpenText, options: { readonly name: string; readonly delimiter?: string | undefined }): Promise<ParsedText> {
  const { name } = options;
  if (options.delimiter !== undefined) checkDelimiter(options.delimiter);
  let delimiter = options.delimiter;
  let tokenizer: CsvTokenizer | undefined;
  let pending = '';
  const records: CsvRecord[] = [];
  const iterator = open()[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      const done = next.done === true;
      if (tokenizer === undefined) {
        if (!done) pending += next.value;
        // Enough text to see the whole header line, or all there is.
        if (!done && !/\S[^\n]*\n/.test(pending) && pending.length < HEADER_SNIFF_CHARS) continue;
        if (!pending.includes('\n') && pending.includes('\r')) {
          throw new AppError('input', `${name} uses CR line endings (classic Mac); convert them to LF or CRLF and import again`);
        }
        delimiter ??= detectDelimiter(pending);
        tokenizer = new CsvTokenizer(delimiter, name);
        tokenizer.write(pending, records);
        pending = '';
      } else if (!done) {
        tokenizer.write(next.value, records);
      }
      if (done) tokenizer.end(records);
      if (records.length > 0 || done) break;
    }
  } finally {
    await iterator.return?.();
  }
  const first = records[0];
  if (first === undefined || delimiter === undefined) {
    throw new AppError('input', `${name} has no header row: the first line of a CSV file must name its columns`);
  }
  const header = checkHeader(first, name);
  const chosen = delimiter;
  return { header, delimiter: chosen, items: () => csvItems(open(), chosen, name), batches: () => csvBatches(open(), chosen, name) };
}
