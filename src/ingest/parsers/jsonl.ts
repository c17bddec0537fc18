/**
 * JSON Lines: one object per line, read line by line so the file size does not matter. A file
 * that is one JSON array is accepted too, but only while it is small enough to parse whole.
 */
import { AppError } from '../../core/errors.ts';
import { MAX_LINE_CHARS } from '../limits.ts';
import { clip } from './fields.ts';
import type { OpenText, ParsedText, SourceItem } from './types.ts';

/** A JSON array has to be parsed in one piece; past this size that is a memory problem, not a format. */
export const MAX_JSON_ARRAY_CHARS = 64 * 1024 * 1024;

const MAX_MESSAGE_CHARS = 200;

/** A longer line is rejected unread (DATA.md: 1 MB a line), and never held whole to parse it. */
export { MAX_LINE_CHARS };

function describe(value: unknown): string {
  if (value === null) return 'found null';
  if (Array.isArray(value)) return 'found an array';
  return `found a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

function parseLine(text: string, line: number): SourceItem | undefined {
  if (text.charCodeAt(0) !== 0x7b /* { */ && isBlank(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, line, reason: `line is not a JSON object: ${clip(message, MAX_MESSAGE_CHARS)}`, raw: clip(text) };
  }
  if (!isObject(value)) {
    return { ok: false, line, reason: `line is not a JSON object: ${describe(value)}`, raw: clip(text) };
  }
  return { ok: true, row: { line, fields: value } };
}

/** Records of a JSON Lines text; a line that is not a JSON object is yielded as `{ok: false}`. */
export async function* jsonlItems(chunks: AsyncIterable<string>): AsyncGenerator<SourceItem> {
  let line = 1;
  // The start of a line whose end is in a later chunk; kept in pieces so a very long line is
  // not copied again for every chunk it spans.
  const pieces: string[] = [];
  let piecesLength = 0;
  // Set when the current line outgrew MAX_LINE_CHARS: its start (for `raw`), the rest is skipped.
  let tooLong: string | undefined;
  for await (const chunk of chunks) {
    let start = 0;
    let newline = chunk.indexOf('\n');
    while (newline !== -1) {
      if (tooLong !== undefined) {
        yield { ok: false, line, reason: `line is longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB`, raw: clip(tooLong) };
        tooLong = undefined;
      } else {
        let text = chunk.slice(start, newline);
        if (pieces.length > 0) {
          pieces.push(text);
          text = pieces.join('');
          pieces.length = 0;
          piecesLength = 0;
        }
        const item = parseLine(text, line);
        if (item !== undefined) yield item;
      }
      line++;
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (start < chunk.length && tooLong === undefined) {
      pieces.push(chunk.slice(start));
      piecesLength += chunk.length - start;
      if (piecesLength > MAX_LINE_CHARS) {
        tooLong = clip(pieces.join(''));
        pieces.length = 0;
        piecesLength = 0;
      }
    }
  }
  if (tooLong !== undefined) {
    yield { ok: false, line, reason: `line is longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB`, raw: clip(tooLong) };
  } else if (pieces.length > 0) {
    const item = parseLine(pieces.join(''), line);
    if (item !== undefined) yield item;
  }
}

async function firstNonBlankChar(open: OpenText): Promise<string | undefined> {
  for await (const chunk of open()) {
    const m = /\S/.exec(chunk);
    if (m !== null) return m[0];
  }
  return undefined;
}

async function readSmallText(open: OpenText, name: string): Promise<string> {
  const parts: string[] = [];
  let size = 0;
  for await (const chunk of open()) {
    size += chunk.length;
    if (size > MAX_JSON_ARRAY_CHARS) {
      throw new AppError(
        'input',
        `${name} is a JSON array larger than ${MAX_JSON_ARRAY_CHARS / 1024 / 1024} MiB, too big to read in one piece; convert it to JSON Lines (one object per line), e.g. jq -c '.[]' ${name} > records.jsonl`,
      );
    }
    parts.push(chunk);
  }
  return parts.join('');
}

/**
 * The line on which each top-level element of a valid JSON array starts. JSON strings cannot
 * hold a raw line break, so counting LFs outside strings is enough.
 */
export function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
    } else if (c === 0x20 || c === 0x09 || c === 0x0d) {
      continue;
    } else if (c === 0x2c /* , */) {
      if (depth === 1) expectElement = true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    } else {
      if (depth === 1 && expectElement) {
        lines.push(line);
        expectElement = false;
      }
      if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
        depth++;
        if (depth === 1) expectElement = true;
      } else if (c === 0x22 /* " */) {
        // Skip the string; a quote preceded by an odd number of backslashes is escaped.
        let j = i + 1;
        for (;;) {
          j = text.indexOf('"', j);
          if (j === -1) return lines;
          let backslashes = 0;
          while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
          if (backslashes % 2 === 0) break;
          j++;
        }
        i = j;
      }
    }
  }
  return lines;
}

async function openArray(open: OpenText, name: string): Promise<ParsedText> {
  const text = await readSmallText(open, name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new AppError('input', `${name} is not valid JSON (${clip(message, MAX_MESSAGE_CHARS)}); fix it, or write one object per line (JSON Lines) so one bad record does not stop the import`);
  }
  if (!Array.isArray(parsed)) {
    throw new AppError('input', `${name} is not a JSON array of objects; write one JSON object per line (JSON Lines)`);
  }
  const elements: unknown[] = parsed;
  const lines = arrayElementLines(text);
  const first = elements.find(isObject);
  async function* items(): AsyncGenerator<SourceItem> {
    for (let k = 0; k < elements.length; k++) {
      const value = elements[k];
      const line = lines[k] ?? 1;
      if (isObject(value)) {
        yield { ok: true, row: { line, fields: value } };
      } else {
        yield { ok: false, line, reason: `array element is not a JSON object: ${describe(value)}`, raw: clip(JSON.stringify(value) ?? String(value)) };
      }
    }
  }
  return { header: first === undefined ? undefined : Object.keys(first), items };
}

/**
 * JSON Lines, or a small JSON array of objects when the first non-blank character is `[`.
 * The header is the keys of the first valid object, found at open time.
 */
export async function openJsonl(open: OpenText, options: { readonly name: string }): Promise<ParsedText> {
  if ((await firstNonBlankChar(open)) === '[') return openArray(open, options.name);
  let header: string[] | undefined;
  for await (const item of jsonlItems(open())) {
    if (item.ok) {
      header = Object.keys(item.row.fields);
      break;
    }
  }
  return { header, items: () => jsonlItems(open()) };
}
