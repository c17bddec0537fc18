/**
 * The contract's per-record limits (DATA.md v2, "Encoding and size"), checked in one place for
 * every way in: the importer's validator (CSV, JSON Lines, XES, `/api/v1/events`) and the
 * Segment collector, which checks a message before mapping it because mapping copies keys into
 * plain objects (where `__proto__` would silently become a prototype).
 *
 * The walk never goes deeper than the limit, so a value nested 100,000 levels deep is refused
 * without the recursion (or the JSON.stringify) that would overflow the stack.
 */

/** Bytes of one field: a CSV cell, a JSON value with everything nested in it. */
export const MAX_FIELD_BYTES = 32 * 1024;
/** Levels of JSON nesting, the record itself being the first. */
export const MAX_DEPTH = 32;
/** Characters of one line of a file (a CSV record, a JSON Lines line). */
export const MAX_LINE_CHARS = 1024 * 1024;

/**
 * What bytes that were not UTF-8 become (parsers/utf8.ts): a UTF-16 surrogate without its pair
 * (also what a lone `\udXXX` escape in JSON gives), or in XML, which forbids those, the
 * noncharacter U+FDD0 (open.ts), which no interchanged text holds.
 */
export const NOT_UTF8_MARK = '\uFDD0';
const LONE_SURROGATE = /[\uD800-\uDFFF\uFDD0]/u;

/** Keys that would change how the object behaves rather than be data. */
const HOSTILE_KEYS: ReadonlySet<string> = new Set(['__proto__']);

function utf8Bytes(s: string): number {
  // Each UTF-16 unit is at most 3 bytes: only a long string needs counting.
  return s.length * 3 <= MAX_FIELD_BYTES ? s.length : Buffer.byteLength(s, 'utf8');
}

function textProblem(s: string, what: string): string | null {
  return LONE_SURROGATE.test(s) ? `${what} holds bytes that are not UTF-8 (or an unpaired \\u surrogate escape); fix the encoding, or name it with --encoding` : null;
}

/** Why a nested value breaks the limits, or null; `depth` is the level `v` is at. */
function valueProblem(v: unknown, depth: number, where: string): string | null {
  if (typeof v === 'string') return textProblem(v, where);
  if (v === null || typeof v !== 'object') return null;
  if (depth > MAX_DEPTH) return `${where} is nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = valueProblem(v[i], depth + 1, where);
      if (p !== null) return p;
    }
    return null;
  }
  for (const k of Object.keys(v)) {
    if (HOSTILE_KEYS.has(k)) return `${where} has a key "${k}", which is not allowed (it would change the object's prototype)`;
    const p = textProblem(k, `a key in ${where}`) ?? valueProblem((v as Record<string, unknown>)[k], depth + 1, where);
    if (p !== null) return p;
  }
  return null;
}

/**
 * Why a record (a row's fields, or a whole Segment message) breaks the contract's encoding and
 * size limits, or null when it does not: a field over 32 KB, nesting over 32 levels, text that
 * was not UTF-8, a `__proto__` key.
 *
 * @example
 * ```ts
 * contentProblem({ event_id: 'e1', text: 'x'.repeat(40_000) }); // 'field "text" is 40000 bytes; ...'
 * ```
 */
export function contentProblem(fields: Record<string, unknown>): string | null {
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    // An empty cell under such a column is absent, as any empty cell (a CSV header may name it).
    if (HOSTILE_KEYS.has(k) && v !== undefined && v !== null && v !== '') return `the field "${k}" is not allowed (it would change the object's prototype)`;
    const where = `field "${textProblem(k, '') === null ? k : '?'}"`;
    const p = textProblem(k, 'a field name') ?? valueProblem(v, 2, where);
    if (p !== null) return p;
    if (typeof v === 'string') {
      const bytes = utf8Bytes(v);
      if (bytes > MAX_FIELD_BYTES) return `${where} is ${bytes} bytes; the limit is ${MAX_FIELD_BYTES / 1024} KB`;
    } else if (v !== null && typeof v === 'object') {
      // Depth is bounded by now, so this cannot overflow the stack.
      const bytes = Buffer.byteLength(JSON.stringify(v), 'utf8');
      if (bytes > MAX_FIELD_BYTES) return `${where} is ${bytes} bytes of JSON; the limit is ${MAX_FIELD_BYTES / 1024} KB`;
    }
  }
  return null;
}
