/**
 * Opens an input file as a `Source`: works out gzip, text encoding and format, reads the header,
 * and fails with `AppError('input')` before any record is processed when the file cannot be used.
 * Everything is streamed: the file is read again from the start for each pass, never held whole.
 */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import type { ReadStream, Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createGunzip } from 'node:zlib';
import { AppError } from '../../core/errors.ts';
import { NOT_UTF8_MARK } from '../limits.ts';
import { openCsv } from './csv.ts';
import { openJsonl } from './jsonl.ts';
import { decodeUtf8 } from './utf8.ts';
import { openXes } from './xes.ts';
import type { Format, OpenOptions, OpenText, ParsedText, Source, SourceItem } from './types.ts';

/** How much decompressed text encoding and format detection look at. */
const HEAD_BYTES = 64 * 1024;
/**
 * Measured, not guessed: with 64 KiB chunks the decoded text stays below V8's large-object size
 * (128 KiB), so chunks and the fields sliced out of them die young; 128 KiB and up parse the
 * same CSV about twice as slowly because every chunk lands in the old generation.
 */
const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** Knobs for tests; the defaults are what production should use. */
export interface ReadTuning {
  /** Bytes per read from disk (and per decompressed gzip chunk). Tiny values exercise chunk boundaries. */
  readonly chunkBytes?: number;
}

const FORMAT_BY_EXTENSION: Readonly<Record<string, Format>> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
  '.xes': 'xes',
};

const UNSUPPORTED_EXTENSIONS: Readonly<Record<string, string>> = {
  '.xlsx': 'an Excel workbook',
  '.xls': 'an Excel workbook',
  '.ods': 'a spreadsheet',
  '.parquet': 'a Parquet file',
  '.zip': 'a ZIP archive',
  '.bz2': 'bzip2-compressed',
  '.xz': 'xz-compressed',
  '.zst': 'zstd-compressed',
  '.7z': 'a 7-Zip archive',
};

const WHAT_TO_DO = 'give a CSV, JSON Lines or XES file (optionally gzip-compressed), or name the format with --format';

function input(message: string, cause?: unknown): AppError {
  return new AppError('input', message, cause === undefined ? {} : { cause });
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

function readFailure(path: string, gzip: boolean, e: unknown): AppError {
  if (e instanceof AppError) return e;
  const code = errorCode(e);
  const detail = e instanceof Error ? e.message : String(e);
  if (code === 'ENOENT') return input(`${path} does not exist; check the path`, e);
  if (code === 'EACCES' || code === 'EPERM') return input(`${path} cannot be read (permission denied); check its permissions`, e);
  if (gzip && (code === undefined || code.startsWith('Z_'))) {
    return input(`${path} is not readable gzip (${detail}); the file is corrupt or truncated: decompress it with gunzip to check, or export it again`, e);
  }
  return input(`${path} cannot be read (${detail}); check the file`, e);
}

/** Streams the file's bytes (decompressed when gzip) from the start, each call afresh. */
class ByteReader {
  private current: ReadStream | undefined;

  constructor(
    private readonly path: string,
    private readonly gzip: boolean,
    private readonly chunkBytes: number,
  ) {}

  bytesRead(): number {
    return this.current?.bytesRead ?? 0;
  }

  async *bytes(): AsyncGenerator<Buffer> {
    const file = createReadStream(this.path, { highWaterMark: this.chunkBytes });
    this.current = file;
    try {
      if (!this.gzip) {
        for await (const chunk of file) yield chunk as Buffer;
        return;
      }
      const gunzip = createGunzip({ chunkSize: Math.max(64, this.chunkBytes) });
      // pipe() does not forward errors; a read error must still end the iteration.
      file.on('error', (e) => gunzip.destroy(e));
      file.pipe(gunzip);
      try {
        for await (const chunk of gunzip) yield chunk as Buffer;
      } finally {
        gunzip.destroy();
      }
    } catch (e) {
      throw readFailure(this.path, this.gzip, e);
    } finally {
      file.destroy();
    }
  }
}

interface Head {
  readonly bytes: Buffer;
  /** The whole (decompressed) file fits in `bytes`. */
  readonly complete: boolean;
}

async function readHead(reader: ByteReader): Promise<Head> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of reader.bytes()) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= HEAD_BYTES) return { bytes: Buffer.concat(parts).subarray(0, HEAD_BYTES), complete: false };
  }
  return { bytes: Buffer.concat(parts), complete: true };
}

function hasUtf8Bom(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** An XES file says its encoding in the XML declaration; believe it when it names Latin-1. */
function declaredLatin1(head: Buffer): boolean {
  const start = head.subarray(0, 200).toString('latin1');
  return /^\s*<\?xml[^>]*encoding\s*=\s*["'](iso-8859-1|latin-?1|windows-1252|cp1252)["']/i.test(start);
}

/** The format named by the file name, with any `.gz` removed first. */
function formatFromName(path: string): Format | undefined {
  const lower = path.toLowerCase();
  const ext = extname(lower.endsWith('.gz') ? lower.slice(0, -3) : lower);
  const unsupported = UNSUPPORTED_EXTENSIONS[ext];
  if (unsupported !== undefined) {
    throw input(`${path} is ${unsupported}, which cannot be imported; export it as CSV (or JSON Lines) and import that`);
  }
  return FORMAT_BY_EXTENSION[ext];
}

function sniffFormat(path: string, text: string): Format {
  const first = /\S/.exec(text)?.[0];
  if (first === '{' || first === '[') return 'jsonl';
  if (first === '<') return 'xes';
  if (first === undefined) throw input(`${path} holds only blank lines: there is nothing to import`);
  return 'csv';
}

/** A text file never holds NUL bytes; a binary file or UTF-16 text almost always does. */
function checkIsText(path: string, head: Buffer): void {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    throw input(`${path} is a ZIP archive (an Excel .xlsx workbook?), not text; export it as CSV and import that`);
  }
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw input(`${path} is UTF-16 text; save it as UTF-8 (in Excel: "CSV UTF-8") and import that`);
  }
  if (head.includes(0)) {
    throw input(`${path} is not a text file (it contains NUL bytes), so its format is unknown; ${WHAT_TO_DO}`);
  }
}

/**
 * Where an incomplete UTF-8 sequence at the end of `buf` starts (its first bytes, the rest in the
 * next chunk), or `buf.length` when it ends on a whole character.
 */
function completeUpTo(buf: Buffer): number {
  for (let i = buf.length - 1; i >= Math.max(0, buf.length - 3); i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue;
    if (b < 0xc0) return buf.length;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return buf.length - i < need ? i : buf.length;
  }
  return buf.length;
}

async function* decode(bytes: AsyncIterable<Buffer>, encoding: 'utf8' | 'latin1', skip: number): AsyncGenerator<string> {
  let toSkip = skip;
  // The first bytes of a character whose last bytes are in the next chunk.
  let carry: Buffer | null = null;
  for await (let chunk of bytes) {
    if (toSkip > 0) {
      const n = Math.min(toSkip, chunk.length);
      chunk = chunk.subarray(n);
      toSkip -= n;
    }
    if (chunk.length === 0) continue;
    if (encoding === 'latin1') {
      // Buffer's 'latin1' is true ISO-8859-1 (TextDecoder's would be windows-1252).
      yield chunk.toString('latin1');
      continue;
    }
    const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
    carry = null;
    // Pure ASCII reads the same as UTF-8 at a fraction of the cost of the UTF-8 decoder.
    if (isAscii(buf)) {
      yield buf.toString('latin1');
      continue;
    }
    const cut = completeUpTo(buf);
    if (cut < buf.length) carry = Buffer.from(buf.subarray(cut));
    if (cut === 0) continue;
    const body = buf.subarray(0, cut);
    yield decodeUtf8(body);
  }
  // A character cut off by the end of the file.
  if (carry !== null) yield decodeUtf8(carry);
}

async function* markForXml(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const chunk of chunks) yield chunk.replace(/[\uD800-\uDFFF]/gu, NOT_UTF8_MARK);
}

/** Items in arrays of up to `size`, for parsers that yield them one at a time. */
async function* batched(items: AsyncIterable<SourceItem>, size = 4096): AsyncGenerator<SourceItem[]> {
  let batch: SourceItem[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Fails as `openSource` would when `path` is missing, not a regular file or empty, without
 * reading it: the CLI checks every input this way before it opens the database, so a mistyped
 * file name is reported as such even when the database cannot be reached.
 */
export async function checkInputFile(path: string): Promise<Stats> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    throw readFailure(path, false, e);
  }
  if (info.isDirectory()) throw input(`${path} is a directory; give the path of one file`);
  if (!info.isFile()) throw input(`${path} is not a regular file; save the data to a file and import that`);
  if (info.size === 0) throw input(`${path} is empty: there is nothing to import`);
  return info;
}

/**
 * Opens `path` for import. Detection, unless `options` say otherwise: gzip by its magic bytes;
 * format by extension (after `.gz`), else by the first non-blank character (`{` or `[` JSON,
 * `<` XES, anything else CSV); encoding UTF-8 unless `options.encoding` (or an XES declaration)
 * names Latin-1: bytes that are not UTF-8 reach the parser as lone surrogates, so the record
 * holding them is rejected and the rest of the file is read. A UTF-8 byte order mark is removed.
 *
 * @throws AppError('input') when the file is missing, not a regular file, empty, corrupt gzip,
 *   not text, of no known format, or its header is unusable (e.g. a duplicate CSV column).
 *
 * @example
 * ```ts
 * const source = await openSource('events.csv.gz');
 * for await (const item of source.items()) {
 *   if (item.ok) handle(item.row.fields);
 *   else reject(item.line, item.reason, item.raw);
 * }
 * ```
 */
export async function openSource(path: string, options: OpenOptions = {}, tuning: ReadTuning = {}): Promise<Source> {
  const info = await checkInputFile(path);

  const chunkBytes = tuning.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const raw = await readHead(new ByteReader(path, false, chunkBytes));
  const gzip = raw.bytes.length >= 2 && raw.bytes[0] === 0x1f && raw.bytes[1] === 0x8b;
  const reader = new ByteReader(path, gzip, chunkBytes);
  // For gzip this is the open-time decompression check: a corrupt file fails here.
  const head = gzip ? await readHead(reader) : raw;
  if (head.bytes.length === 0) throw input(`${path} is empty once decompressed: there is nothing to import`);

  checkIsText(path, head.bytes);
  const bom = hasUtf8Bom(head.bytes) ? 3 : 0;
  const format = options.format ?? formatFromName(path) ?? sniffFormat(path, head.bytes.subarray(bom).toString('latin1'));
  // UTF-8 unless the caller (or an XES file's own XML declaration) names Latin-1: a guess from
  // a few bad bytes would re-read every good line of the file wrongly (DATA.md, Encoding).
  const encoding = options.encoding ?? (format === 'xes' && declaredLatin1(head.bytes.subarray(bom)) ? 'latin1' : 'utf8');
  const open: OpenText = () => decode(reader.bytes(), encoding, bom);

  let parsed: ParsedText;
  switch (format) {
    case 'csv': {
      const tsv = /\.tsv(\.gz)?$/i.test(path);
      parsed = await openCsv(open, { name: path, delimiter: options.delimiter ?? (tsv ? '\t' : undefined) });
      break;
    }
    case 'jsonl':
      parsed = await openJsonl(open, { name: path });
      break;
    case 'xes':
      // XML forbids the lone surrogates bad bytes become: in their place a mark the XML parser
      // takes, so the event holding it is rejected as that event rather than the file failing.
      parsed = await openXes(() => markForXml(open()), { name: path });
      break;
  }
  return {
    path,
    format,
    gzip,
    totalBytes: info.size,
    bytesRead: () => reader.bytesRead(),
    header: parsed.header,
    items: () => parsed.items(),
    batches: () => parsed.batches?.() ?? batched(parsed.items()),
    encoding,
    delimiter: parsed.delimiter,
  };
}
