/**
 * One demo customer: identifiers as the company's systems hold them (with the mess of real
 * exports), traits, and the hidden facts that drive their story. Everything about person i is
 * a pure function of (seed, i), so households can be built from either member's side.
 */
import { Rng, Weights } from './random.ts';
import { ZONES } from './time.ts';
import type { Zone } from './time.ts';
import { EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, SEGMENTS } from './world.ts';
import type { Channel } from './world.ts';

export const BLOCKED_CALLER_ID = '0000000000';
export const PLACEHOLDER_PROFILE_EMAIL = 'none@none.com';
export const PLACEHOLDER_STORE_EMAIL = 'noemail@example.com';
/** Share of persons living in a two-person household that shares one phone number. */
const HOUSEHOLD_PERSON_RATE = 0.05;

export interface Cookie {
  readonly id: string;
  /** A browser the person never logs in from (a work or library computer). */
  readonly logsIn: boolean;
}

export interface Person {
  readonly index: number;
  readonly customerId: string;
  readonly accountId: string;
  /** A few CRM rows lack the account number; those customers' other records use customer_id. */
  readonly accountOnProfile: boolean;
  readonly first: string;
  readonly last: string;
  readonly profileName: string;
  readonly segment: string;
  readonly zone: Zone;
  /** Ten national digits; shared with the partner in a household. */
  readonly phoneDigits: string;
  /** Whether this person's systems write the phone with a +1 country code (always, never mixed). */
  readonly plus1: boolean;
  readonly householdWith: string | null;
  readonly phoneOnProfile: boolean;
  /** Canonical (trimmed, lower-case) real address. */
  readonly email: string;
  /** The CRM holds a placeholder instead of the real address: the company cannot email them. */
  readonly placeholderEmail: boolean;
  readonly devices: readonly string[];
  /** A work phone and a partner's mobile the person sometimes calls from; they appear nowhere else. */
  readonly otherPhones: readonly string[];
  readonly cookies: readonly Cookie[];
  readonly preferred: Channel;
  /** Multiplier on how often the person contacts the company. */
  readonly activity: number;
  readonly homeStore: number;
  /** Relationship NPS the person would give with nothing going wrong. */
  readonly baseNps: number;
  /** Unhappy with price and coverage but polite in transaction surveys. */
  readonly hiddenAtRisk: boolean;
  readonly quiet: readonly [string, string] | null;
  readonly billDay: number;
}

function householdPair(seed: number, index: number, customers: number): number | null {
  const pair = Math.ceil(index / 2);
  if (pair * 2 > customers) return null;
  return new Rng(seed, 'household', pair).chance(HOUSEHOLD_PERSON_RATE) ? pair : null;
}

/** The person whose zone, surname and phone a household shares: its first member. */
function anchorOf(seed: number, index: number, customers: number): number {
  const pair = householdPair(seed, index, customers);
  return pair === null ? index : pair * 2 - 1;
}

const ZONE_WEIGHTS = new Weights(ZONES.map((z) => [z, z.weight] as const));
const SEGMENT_WEIGHTS = new Weights(SEGMENTS);
const PREFERRED = new Weights<Channel>([
  ['web', 0.34],
  ['app', 0.28],
  ['ivr', 0.2],
  ['chat', 0.09],
  ['store', 0.09],
]);

function zoneOf(seed: number, index: number): Zone {
  return new Rng(seed, 'zone', index).draw(ZONE_WEIGHTS);
}

function lastNameOf(seed: number, index: number): string {
  return new Rng(seed, 'surname', index).pick(LAST_NAMES);
}

/** Distinct for every index below 8 million: 7919 is coprime with 8,000,000. */
function phoneOf(seed: number, index: number, zone: Zone): string {
  const rng = new Rng(seed, 'phone', index);
  const local = ((index * 7919 + (Math.abs(seed) % 997) * 8011) % 8_000_000) + 2_000_000;
  return `${rng.pick(zone.areaCodes)}${local}`;
}

function plus1Of(seed: number, index: number): boolean {
  return new Rng(seed, 'phone-family', index).chance(0.2);
}

export function customerIdOf(index: number): string {
  return `C${String(index).padStart(6, '0')}`;
}

export function createPerson(seed: number, index: number, customers: number): Person {
  const rng = new Rng(seed, 'person', index);
  const anchor = anchorOf(seed, index, customers);
  const household = householdPair(seed, index, customers) !== null;
  const zone = zoneOf(seed, anchor);
  const first = rng.pick(FIRST_NAMES);
  const last = lastNameOf(seed, anchor);
  const emailLocal = `${first}.${last}`.replace(/[^A-Za-z.]/g, '');
  const email = `${emailLocal}${index}@${rng.pick(EMAIL_DOMAINS)}`.toLowerCase();
  const hiddenAtRisk = rng.chance(0.03);
  const quietRoll = rng.next();
  const partner = household ? (anchor === index ? index + 1 : anchor) : null;
  return {
    index,
    customerId: customerIdOf(index),
    accountId: `ACC-${String(index).padStart(6, '0')}`,
    accountOnProfile: rng.chance(0.97),
    first,
    last,
    // Some CRM exports write "Last, First": a comma that CSV writers must quote.
    profileName: rng.chance(0.12) ? `${last}, ${first}` : `${first} ${last}`,
    segment: rng.draw(SEGMENT_WEIGHTS),
    zone,
    phoneDigits: phoneOf(seed, anchor, zone),
    plus1: plus1Of(seed, anchor),
    householdWith: partner === null ? null : customerIdOf(partner),
    phoneOnProfile: household || rng.chance(0.96),
    email,
    placeholderEmail: rng.chance(0.05),
    devices: Array.from({ length: rng.chance(0.35) ? 2 : 1 }, () => uuid(rng)),
    otherPhones: [0, 1].map((j) => `555${(((index * 2 + j) * 7919) % 8_000_000) + 2_000_000}`),
    cookies: Array.from({ length: rng.int(1, 3) }, (_, i) => ({ id: `ck-${rng.hex(20)}`, logsIn: i === 0 || rng.chance(0.7) })),
    preferred: rng.draw(PREFERRED),
    activity: Math.exp(rng.normal(-0.08, 0.4)),
    homeStore: new Rng(seed, 'store', anchor).int(0, 3),
    baseNps: hiddenAtRisk ? 3.8 : rng.normal(9.0, 0.9),
    hiddenAtRisk,
    quiet: quietRoll < 0.8 ? ['21:00', '08:00'] : quietRoll < 0.92 ? ['22:00', '07:00'] : null,
    billDay: rng.int(1, 28),
  };
}

function uuid(rng: Rng): string {
  const h = rng.hex(32).toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A phone written the way one of the company's systems writes it; all normalise alike per person. */
export function writePhone(rng: Rng, digits: string, plus1: boolean): string {
  const a = digits.slice(0, 3);
  const b = digits.slice(3, 6);
  const c = digits.slice(6);
  const style = rng.int(0, 3);
  if (plus1) return [`+1 ${a} ${b} ${c}`, `+1-${a}-${b}-${c}`, `+1${digits}`, `+1 (${a}) ${b}-${c}`][style] as string;
  return [`(${a}) ${b}-${c}`, `${a}.${b}.${c}`, digits, `${a}-${b}-${c}`][style] as string;
}

/** Caller id as the phone switch records it: digits only, E.164 for the +1 family. */
export function callerId(digits: string, plus1: boolean): string {
  return plus1 ? `+1${digits}` : digits;
}

/** The same address with the case and stray spaces of hand-typed entries. */
export function writeEmail(rng: Rng, email: string): string {
  const roll = rng.next();
  if (roll < 0.55) return email;
  if (roll < 0.75) {
    const at = email.indexOf('@');
    const local = email.slice(0, at).replace(/(^|\.)([a-z])/g, (_, dot: string, ch: string) => dot + ch.toUpperCase());
    return local + email.slice(at);
  }
  if (roll < 0.85) return email.toUpperCase();
  return rng.chance(0.5) ? ` ${email} ` : `${email}  `;
}

export function normalisePhone(value: string): string {
  return value.replace(/\D/g, '');
}

export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}
