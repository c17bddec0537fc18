/**
 * What reading a phone number costs: libphonenumber-js with its `min` and `max` metadata, and
 * `normalizeIdentifier('phone', …)` as the importer calls it, on distinct numbers and on numbers
 * that recur as a customer's do on each of their records. Prints a table (µs per value).
 *
 *   npx tsx bench/phone-parse.ts [values]
 */
import { parsePhoneNumberFromString as parseMax } from 'libphonenumber-js/max';
import { parsePhoneNumberFromString as parseMin } from 'libphonenumber-js/min';
import { normalizeIdentifier } from '../src/identity/normalize.ts';

const count = Number(process.argv[2] ?? 200_000);
const spell = (i: number): string => {
  const area = 201 + (i % 700);
  const local = String(2_000_000 + ((i * 7919) % 7_000_000));
  const [a, b] = [local.slice(0, 3), local.slice(3)];
  return [`(${area}) ${a}-${b}`, `+1 ${area} ${a} ${b}`, `${area}${local}`, `1-${area}-${a}-${b}`][i % 4]!;
};
const distinct = Array.from({ length: count }, (_, i) => spell(i));
// Twenty records per number, as a customer's calls and answers carry it.
const recurring = Array.from({ length: count }, (_, i) => spell(Math.floor(i / 20)));

function time(values: readonly string[], fn: (s: string) => unknown): number {
  for (const v of values.slice(0, 2000)) fn(v); // warm up
  const t0 = performance.now();
  for (const v of values) fn(v);
  return ((performance.now() - t0) * 1000) / values.length;
}

const rows: [string, number, number][] = [
  ['libphonenumber-js/min parse + isPossible', time(distinct, (s) => parseMin(s, 'US')?.isPossible()), time(recurring, (s) => parseMin(s, 'US')?.isPossible())],
  ['libphonenumber-js/max parse + isPossible', time(distinct, (s) => parseMax(s, 'US')?.isPossible()), time(recurring, (s) => parseMax(s, 'US')?.isPossible())],
  ['normalizeIdentifier (min, remembered)', time(distinct, (s) => normalizeIdentifier('phone', s)), time(recurring, (s) => normalizeIdentifier('phone', s))],
];
console.log(`${count.toLocaleString('en-US')} values; µs per value`);
console.log(`${'what'.padEnd(44)}${'distinct'.padStart(10)}${'20 each'.padStart(10)}`);
for (const [what, a, b] of rows) console.log(`${what.padEnd(44)}${a.toFixed(2).padStart(10)}${b.toFixed(2).padStart(10)}`);
