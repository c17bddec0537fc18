/**
 * Identifier normalisation and placeholder detection: the one definition used by the importer,
 * the collector and every lookup (`phone:5551234567`).
 */
import { AppError } from '../core/errors.ts';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Identifier, IdentifierType } from '../core/records.ts';

/** Normalises a raw identifier; null when nothing is left (an empty cell means absent). */
export function normalizeIdentifier(type: IdentifierType, raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  const s = String(raw).trim();
  if (s === '') return null;
  switch (type) {
    case 'phone': {
      // Digits only: a leading + and the country code stay as digits (DATA.md).
      const digits = s.replace(/\D+/g, '');
      return digits === '' ? null : digits;
    }
    case 'email':
      return s.toLowerCase();
    default:
      return s;
  }
}

const PLACEHOLDER_WORDS = new Set(['unknown', 'none', 'null', 'nil', 'n/a', 'na', '-', '--', '0', 'undefined', 'test', 'noname']);
const PLACEHOLDER_EMAIL_LOCALS = new Set([
  'none',
  'noemail',
  'no-email',
  'no_email',
  'nomail',
  'noreply',
  'no-reply',
  'donotreply',
  'unknown',
  'na',
  'n/a',
  'null',
  'test',
  'email',
  'noone',
  'nobody',
]);

/**
 * A placeholder is a value systems write when they have no real one: a blocked caller id
 * (`0000000000`), a dummy email (`none@none.com`), `unknown`. It stays on the record but is
 * never used to link records, because every customer without the real value shares it.
 * Stores keep the keys this decided: a change here must bump STITCH_RULES_VERSION (./stitch.ts)
 * so that each store stitches its whole graph again once.
 */
export function isPlaceholder(type: IdentifierType, value: string): boolean {
  if (PLACEHOLDER_WORDS.has(value.toLowerCase())) return true;
  if (type === 'phone') {
    // Too short to be a subscriber number, or one digit repeated (0000000000, 9999999999).
    return value.length < 7 || /^(\d)\1+$/.test(value);
  }
  if (type === 'email') {
    const at = value.lastIndexOf('@');
    if (at <= 0 || at === value.length - 1) return true;
    const local = value.slice(0, at);
    const domain = value.slice(at + 1);
    return PLACEHOLDER_EMAIL_LOCALS.has(local) || domain === 'none.com' || domain === 'noemail.com' || domain === 'none';
  }
  return false;
}

/** Parses `type:value` as written on the command line and in API paths, normalising the value. */
export function parseIdentifier(text: string): Identifier {
  const colon = text.indexOf(':');
  const type = colon > 0 ? text.slice(0, colon) : '';
  if (!(IDENTIFIER_TYPES as readonly string[]).includes(type)) {
    throw new AppError('usage', `"${text}" is not an identifier`, {
      hint: `write it as type:value with type one of ${IDENTIFIER_TYPES.join(', ')} (e.g. phone:5551234567)`,
    });
  }
  const value = normalizeIdentifier(type as IdentifierType, text.slice(colon + 1));
  if (value === null) throw new AppError('usage', `"${text}" has an empty value`, { hint: 'write it as type:value' });
  return { type: type as IdentifierType, value };
}
