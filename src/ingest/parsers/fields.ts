/**
 * Small helpers every parser shares: how long a rejected record's raw text may be, and how to
 * put a key on a row's fields without tripping over `__proto__`.
 */

/** A reject file line must stay readable; a 2 GB unterminated field must not end up in it. */
export const MAX_RAW_CHARS = 2000;

export function clip(text: string, max: number = MAX_RAW_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * Plain assignment of `__proto__` changes the object's prototype instead of adding a key, so a
 * column of that name would vanish without a word; define it as an own property instead.
 */
export function setField(fields: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    fields[key] = value;
  }
}
