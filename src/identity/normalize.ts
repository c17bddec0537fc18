/**
 * Identifier normalisation and placeholder detection: the one definition used by the importer,
 * the collector, migration 9 and every lookup (`phone:5551234567`). Phones become E.164 through
 * libphonenumber-js, read in a default region for numbers written without a country code; the
 * region is process-wide (`setDefaultPhoneRegion`, set by the CLI from its config) because every
 * value a store holds must have been read in the same one.
 */
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { CountryCode } from 'libphonenumber-js/min';
import { AppError } from '../core/errors.ts';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Identifier, IdentifierType } from '../core/records.ts';

export const DEFAULT_PHONE_REGION = 'US';

let defaultRegion: CountryCode = DEFAULT_PHONE_REGION;

/** The region code `text` names (`us`, `GB`), or a usage error naming it. */
export function phoneRegion(text: string, from = 'phone region'): CountryCode {
  const code = text.trim().toUpperCase();
  if (!isSupportedCountry(code)) {
    throw new AppError('usage', `${from} "${text}" is not a country code libphonenumber knows`, { hint: 'give an ISO 3166 two-letter code such as US, GB or DE' });
  }
  return code;
}

/** The region numbers without a country code are read in, from now on in this process. */
export function setDefaultPhoneRegion(region: string): void {
  defaultRegion = phoneRegion(region);
  memo.clear();
}

/**
 * A parse costs 15–50 µs (bench/phone-parse.ts), which over an import of millions of records is
 * minutes; a customer's number recurs on each of their records, so parses are remembered, a
 * bounded number at a time.
 */
const memo = new Map<string, string | null>();
const MEMO_MAX = 100_000;

/**
 * E.164 (`+12152063996`) when `raw` is a possible phone number, read with a country code when it
 * has one (`+44 …`; digits that fit no number of the region but one of a country code in front
 * are read so too, which is how stores before migration 9 kept `+44…`); otherwise its digits,
 * which `isPlaceholder` never lets link. A number of one repeated digit (a blocked caller id,
 * `0000000000`) is kept as its digits too.
 */
function normalizePhone(s: string): string | null {
  const cached = memo.get(s);
  if (cached !== undefined) return cached;
  const digits = s.replace(/\D+/g, '');
  let out: string | null = digits === '' ? null : digits;
  if (digits.length >= 7 && !/^(\d)\1+$/.test(digits)) {
    const possible = (text: string): string | null => {
      const p = parsePhoneNumberFromString(text, defaultRegion);
      return p !== undefined && p.isPossible() && !/^(\d)\1+$/.test(p.nationalNumber) ? p.number : null;
    };
    out = possible(s) ?? (s.trimStart().startsWith('+') ? null : possible('+' + digits)) ?? out;
  }
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(s, out);
  return out;
}

/** Normalises a raw identifier; null when nothing is left (an empty cell means absent). */
export function normalizeIdentifier(type: IdentifierType, raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  const s = String(raw).trim();
  if (s === '') return null;
  switch (type) {
    case 'phone':
      return normalizePhone(s);
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
    // Only a possible number links: normalisation keeps anything else as bare digits.
    return !value.startsWith('+');
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

/** A number as people write one: digits with spaces, dashes, dots, brackets, a leading `+`. */
const BARE_PHONE = /^\s*\+?[\d\s().-]+$/;

/**
 * Parses `type:value` as written on the command line and in API paths, normalising the value.
 * A bare number (`2152063996`, `+1 (215) 206-3996`) is taken as a phone: it is what an agent
 * types when a customer calls.
 */
export function parseIdentifier(text: string): Identifier {
  if (BARE_PHONE.test(text) && text.replace(/\D+/g, '').length >= 7) return { type: 'phone', value: normalizeIdentifier('phone', text)! };
  const colon = text.indexOf(':');
  const type = colon > 0 ? text.slice(0, colon) : '';
  if (!(IDENTIFIER_TYPES as readonly string[]).includes(type)) {
    throw new AppError('usage', `"${text}" is not an identifier`, {
      hint: `write it as type:value with type one of ${IDENTIFIER_TYPES.join(', ')} (e.g. email:a@b.com), or a phone number alone`,
    });
  }
  const value = normalizeIdentifier(type as IdentifierType, text.slice(colon + 1));
  if (value === null) throw new AppError('usage', `"${text}" has an empty value`, { hint: 'write it as type:value' });
  return { type: type as IdentifierType, value };
}
