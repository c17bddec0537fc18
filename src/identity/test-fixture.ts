/**
 * Random identity worlds for the stitching property tests (test code only): people with
 * customer and account ids, household phones, shared laptops' cookies, anonymous visitors and
 * placeholders, seen on records in a seeded random order.
 */
import type { IdentifierType } from '../core/records.ts';

import { createTestRandom } from '../journey/testing.ts';

/** The seeded PRNG the other modules' tests use, so a failing seed replays the same world. */
export const createPrng = createTestRandom;

/** The identifiers a record carries (absent ones left out). */
export type RecordIdentifiers = Partial<Record<IdentifierType, string>>;

export interface RandomWorldOptions {
  readonly people?: number;
  readonly records?: number;
}

/**
 * The identifiers of each record of a random world, in arrival order, already normalised (so a
 * CSV of them imports to the same values). Pools are small on purpose: phones are shared by
 * households and become ambiguous part-way through, cookies travel between people, strong ids
 * sometimes appear together, and some records carry only placeholders.
 */
export function createRandomIdentityRecords(seed: number, options: RandomWorldOptions = {}): RecordIdentifiers[] {
  const random = createPrng(seed);
  const chance = (p: number): boolean => random() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const people = options.people ?? 4 + Math.floor(random() * 24);
  const records = options.records ?? 10 + Math.floor(random() * 70);
  const households = Math.max(1, Math.floor(people / 2));

  const own: [IdentifierType, string][][] = [];
  for (let i = 0; i < people; i++) {
    const ids: [IdentifierType, string][] = [];
    if (chance(0.7)) ids.push(['customer_id', `C${i}`]);
    // A few people hold someone else's account (a joint account): strong evidence joins them.
    if (chance(0.5)) ids.push(['account_id', `A${chance(0.1) ? Math.floor(random() * people) : i}`]);
    if (chance(0.7)) ids.push(['phone', `+1555000${String(Math.floor(random() * households)).padStart(4, '0')}`]);
    if (chance(0.6)) ids.push(['email', `p${i}@example.com`]);
    if (chance(0.4)) ids.push(['device_id', `dv${i}`]);
    const cookies = 1 + Math.floor(random() * 3);
    // A shared laptop: another person's cookie.
    for (let c = 0; c < cookies; c++) ids.push(['cookie_id', chance(0.15) ? `k${Math.floor(random() * people)}_0` : `k${i}_${c}`]);
    own.push(ids);
  }
  const placeholders: [IdentifierType, string][] = [
    ['phone', '0000000000'],
    ['email', 'none@none.com'],
    ['customer_id', 'unknown'],
    ['cookie_id', 'null'],
  ];

  const out: RecordIdentifiers[] = [];
  for (let r = 0; r < records; r++) {
    const ids: RecordIdentifiers = {};
    if (chance(0.15)) {
      // An anonymous visitor, sometimes leaving an email.
      const v = Math.floor(random() * 8);
      ids.cookie_id = `anon${v}`;
      if (chance(0.3)) ids.email = `visitor${v}@example.com`;
    } else if (chance(0.05)) {
      const [type, value] = pick(placeholders);
      ids[type] = value;
    } else {
      const mine = own[Math.floor(random() * people)]!;
      const n = 1 + Math.floor(random() * 3);
      for (let k = 0; k < n; k++) {
        const [type, value] = pick(mine);
        ids[type] = value;
      }
      if (chance(0.1)) {
        const [type, value] = pick(placeholders);
        if (ids[type] === undefined) ids[type] = value;
      }
    }
    out.push(ids);
  }
  return out;
}
