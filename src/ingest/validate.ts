/**
 * Validation: a source row (after column mapping) becomes a typed record of the contract, or a
 * reject with the reason. Steps return results instead of throwing, so one bad record never
 * stops an import. Empty values mean "absent" (DATA.md).
 */
import crypto from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { EMPLOYEE_KINDS, EMPLOYEE_METRICS, IDENTIFIER_TYPES, METRICS, SPEAKERS } from '../core/records.ts';
import type { Attributes, EmployeeMetric, Identifiers, Kind, Metric, RecordOfKind, Scope } from '../core/records.ts';
import { ok, reject } from '../core/result.ts';
import type { StepResult } from '../core/result.ts';
import { isValidZone, parseTimestamp } from '../core/time.ts';
import { normalizeIdentifier } from '../identity/normalize.ts';
import { CONTRACT_FIELDS } from './fields.ts';
import { contentProblem } from './limits.ts';

export interface ValidateOptions {
  /** Zone for timestamps written without an offset (`--timezone`). */
  readonly timezone?: string;
  /**
   * The file has no id column for its kind (process-mining logs rarely do): ids are derived from
   * the record's content, so a re-import of the same file is still recognised.
   */
  readonly deriveIds?: boolean;
  /** Default channel when a record has none (XES logs carry no channel: `other`). */
  readonly defaultChannel?: string;
}

export type Validator<K extends Kind> = (fields: Record<string, unknown>, line: number) => StepResult<RecordOfKind[K]>;

class Invalid extends Error {}

/** Absent when undefined, null or blank; otherwise the trimmed string. */
function str(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = (typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)).trim();
  return s === '' ? null : s;
}

function required(f: Record<string, unknown>, name: string): string {
  const v = str(f[name]);
  if (v === null) throw new Invalid(`missing ${name}`);
  return v;
}

function time(f: Record<string, unknown>, name: string, zone: string | undefined, req: true): number;
function time(f: Record<string, unknown>, name: string, zone: string | undefined, req: false): number | null;
function time(f: Record<string, unknown>, name: string, zone: string | undefined, req: boolean): number | null {
  const raw = f[name];
  if (str(raw) === null) {
    if (req) throw new Invalid(`missing ${name}`);
    return null;
  }
  const r = parseTimestamp(typeof raw === 'number' ? raw : str(raw)!, zone);
  if (!r.ok) throw new Invalid(`${name}: ${r.reason}`);
  return r.ms;
}

function num(f: Record<string, unknown>, name: string): number | null {
  const s = str(f[name]);
  if (s === null) return null;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Invalid(`${name} "${s}" is not a number`);
  return n;
}

function oneOf<T extends string>(f: Record<string, unknown>, name: string, allowed: readonly T[], req: boolean): T | null {
  const s = str(f[name]);
  if (s === null) {
    if (req) throw new Invalid(`missing ${name}`);
    return null;
  }
  const v = s.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw new Invalid(`${name} "${s}" is not one of ${allowed.join(', ')}`);
  return v as T;
}

const DIRECTIONS = ['inbound', 'outbound'] as const;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

function identifiers(f: Record<string, unknown>): Identifiers {
  const ids = {} as { -readonly [K in keyof Identifiers]: string | null };
  for (const t of IDENTIFIER_TYPES) ids[t] = normalizeIdentifier(t, f[t]);
  return ids;
}

const NO_IDS: Identifiers = Object.freeze(Object.fromEntries(IDENTIFIER_TYPES.map((t) => [t, null]))) as unknown as Identifiers;

function hasAnyId(ids: Identifiers): boolean {
  return IDENTIFIER_TYPES.some((t) => ids[t] !== null);
}

/** Per kind, the fields that are not attributes: a set, since every field of every record is looked up. */
const NOT_ATTRIBUTES = new Map<Kind, ReadonlySet<string>>();

function attributes(f: Record<string, unknown>, kind: Kind): Attributes {
  let known = NOT_ATTRIBUTES.get(kind);
  // An employee's email or phone in a directory is no customer identifier: it stays an attribute.
  if (known === undefined) NOT_ATTRIBUTES.set(kind, (known = new Set([...CONTRACT_FIELDS[kind], ...(EMPLOYEE_KINDS.has(kind) ? [] : IDENTIFIER_TYPES)])));
  const attrs: Attributes = {};
  for (const k of Object.keys(f)) {
    if (known.has(k)) continue;
    const v = f[k];
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) continue;
    attrs[k] = v;
  }
  return attrs;
}

/** SHA-1 in hex: one-shot where Node has it (20.12 and later), the same digest without an object per record. */
const sha1Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha1', text, 'hex') : (text) => crypto.createHash('sha1').update(text).digest('hex');

/** Hex digits of a content id (contentId): 80 bits, kept as three 32-bit words. */
const ID_HEX = 20;

/**
 * How many times each content id has been seen, by its 80 bits rather than by string: a Map of
 * 1M id strings cost a tenth of a process log's validation, and some 100 MB. Exact, since the
 * id is nothing but those bits after its prefix.
 */
export class RepeatCounter {
  private words = new Uint32Array(3 << 10);
  private counts = new Uint32Array(1 << 10);
  private size = 0;

  /** Counts `id` (hex digits from `offset` on) and returns how many times it has been seen. */
  count(id: string, offset: number): number {
    const a = hexWord(id, offset, 8);
    const b = hexWord(id, offset + 8, 8);
    const c = hexWord(id, offset + 16, ID_HEX - 16);
    const mask = this.counts.length - 1;
    // The id is a hash already: its low word spreads the slots.
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      const n = this.counts[slot]!;
      if (n === 0) {
        this.words[slot * 3] = a;
        this.words[slot * 3 + 1] = b;
        this.words[slot * 3 + 2] = c;
        this.counts[slot] = 1;
        if (++this.size * 2 > this.counts.length) this.grow();
        return 1;
      }
      if (this.words[slot * 3] === a && this.words[slot * 3 + 1] === b && this.words[slot * 3 + 2] === c) return (this.counts[slot] = n + 1);
    }
  }

  private grow(): void {
    const { words, counts } = this;
    this.words = new Uint32Array(words.length * 2);
    this.counts = new Uint32Array(counts.length * 2);
    const mask = this.counts.length - 1;
    for (let old = 0; old < counts.length; old++) {
      if (counts[old] === 0) continue;
      let slot = words[old * 3]! & mask;
      while (this.counts[slot] !== 0) slot = (slot + 1) & mask;
      this.words.set(words.subarray(old * 3, old * 3 + 3), slot * 3);
      this.counts[slot] = counts[old]!;
    }
  }
}

/** The value of `digits` lowercase hex digits of `s` from `at` (at most 8: one 32-bit word). */
function hexWord(s: string, at: number, digits: number): number {
  let v = 0;
  for (let i = at; i < at + digits; i++) {
    const ch = s.charCodeAt(i);
    v = v * 16 + (ch <= 57 ? ch - 48 : ch - 87);
  }
  return v >>> 0;
}

/** A content hash for records whose kind has no id column (profiles, holdings, consents). */
function contentId(prefix: string, parts: readonly unknown[]): string {
  return prefix + sha1Hex(JSON.stringify(parts)).slice(0, ID_HEX);
}

export function createValidator<K extends Kind>(kind: K, options: ValidateOptions = {}): Validator<K> {
  const zone = options.timezone;
  if (zone !== undefined && !isValidZone(zone)) {
    throw new AppError('usage', `--timezone ${zone} is not a time zone`, { hint: 'use an IANA name such as Europe/Amsterdam, UTC, or an offset such as +02:00' });
  }
  // Derived ids count repeats of identical content so that two identical events in one log
  // (which process mining counts twice) keep distinct ids, and a re-import yields the same ones.
  const seen = new RepeatCounter();
  const derive = (prefix: string, parts: readonly unknown[]): string => {
    const base = contentId(prefix, parts);
    const n = seen.count(base, prefix.length);
    return n === 1 ? base : `${base}.${n}`;
  };

  const build = (f: Record<string, unknown>, line: number): RecordOfKind[Kind] => {
    const ids = EMPLOYEE_KINDS.has(kind) ? NO_IDS : identifiers(f);
    const attrs = attributes(f, kind);
    switch (kind) {
      case 'interactions': {
        const ts = time(f, 'ts', zone, true);
        const channelRaw = str(f.channel) ?? options.defaultChannel ?? null;
        if (channelRaw === null) throw new Invalid('missing channel');
        const activity = required(f, 'activity');
        const journey_id = str(f.journey_id);
        if (!hasAnyId(ids)) {
          // A process-mining case is its own customer unless the log names one (DATA.md, XES).
          if (journey_id === null) throw new Invalid('no identifier (customer_id, account_id, phone, email, device_id or cookie_id)');
          ids.customer_id = journey_id;
        }
        const event_id = options.deriveIds
          ? derive('h-', [ts, channelRaw, activity, journey_id, f.outcome ?? null, f.agent_id ?? null, IDENTIFIER_TYPES.map((t) => ids[t]), attrs])
          : required(f, 'event_id');
        const slash = activity.indexOf('/');
        // An explicit literal, not a spread of a base object: this runs once per event.
        const record: RecordOfKind['interactions'] = {
          ids,
          attrs,
          line,
          event_id,
          ts,
          channel: channelRaw.toLowerCase(),
          activity,
          outcome: str(f.outcome)?.toLowerCase() ?? null,
          direction: oneOf(f, 'direction', DIRECTIONS, false) ?? 'inbound',
          agent_id: str(f.agent_id),
          intent: str(f.intent) ?? (slash > 0 ? activity.slice(0, slash) : activity),
          journey_id,
          duration_s: num(f, 'duration_s'),
          wait_s: num(f, 'wait_s'),
          text: str(f.text),
        };
        return record;
      }
      case 'feedback': {
        // No identifier: an anonymous answer (a web intercept, a kiosk, a review site), kept
        // for metrics and text analysis, linked to no customer (DATA.md).
        const ts = time(f, 'ts', zone, true);
        const metric = oneOf(f, 'metric', Object.keys(METRICS) as Metric[], true)!;
        const scope = oneOf(f, 'scope', ['relationship', 'transaction'] as Scope[], true)!;
        const score = num(f, 'score');
        if (score === null) throw new Invalid('missing score');
        const [lo, hi] = METRICS[metric];
        if (score < lo || score > hi) throw new Invalid(`score ${score} is outside ${metric}'s range ${lo}–${hi}`);
        const response_id = options.deriveIds ? derive('h-', [ts, metric, scope, score, f.survey_id ?? null, IDENTIFIER_TYPES.map((t) => ids[t])]) : required(f, 'response_id');
        return {
          ids,
          attrs,
          line,
          response_id,
          ts,
          survey_id: required(f, 'survey_id'),
          metric,
          scope,
          score,
          comment: str(f.comment),
          event_id: str(f.event_id),
          agent_id: str(f.agent_id),
        };
      }
      case 'profiles': {
        if (!hasAnyId(ids)) throw new Invalid('no identifier (customer_id, account_id, phone, email, device_id or cookie_id)');
        return { ids, attrs, line, profile_id: contentId('p-', [IDENTIFIER_TYPES.map((t) => ids[t]), attrs]) };
      }
      case 'holdings': {
        if (!hasAnyId(ids)) throw new Invalid('no identifier (customer_id, account_id, phone, email, device_id or cookie_id)');
        const product = required(f, 'product');
        const since = time(f, 'since', zone, false);
        const until = time(f, 'until', zone, false);
        return { ids, attrs, line, holding_id: contentId('h-', [IDENTIFIER_TYPES.map((t) => ids[t]), product, since, until, attrs]), product, since, until };
      }
      case 'promises': {
        if (!hasAnyId(ids)) throw new Invalid('no identifier (customer_id, account_id, phone, email, device_id or cookie_id)');
        return {
          ids,
          attrs,
          line,
          promise_id: required(f, 'promise_id'),
          ts: time(f, 'ts', zone, true),
          due: time(f, 'due', zone, true),
          kind: required(f, 'kind').toLowerCase(),
          agent_id: str(f.agent_id),
          event_id: str(f.event_id),
          description: str(f.description),
          kept_at: time(f, 'kept_at', zone, false),
        };
      }
      case 'consents': {
        if (!hasAnyId(ids)) throw new Invalid('no identifier (customer_id, account_id, phone, email, device_id or cookie_id)');
        const channel = required(f, 'channel').toLowerCase();
        const status = oneOf(f, 'status', ['grant', 'deny'] as const, true)!;
        const ts = time(f, 'ts', zone, false);
        const timezone = str(f.timezone);
        if (timezone !== null && !isValidZone(timezone)) throw new Invalid(`timezone "${timezone}" is not an IANA time zone`);
        const quiet_start = str(f.quiet_start);
        const quiet_end = str(f.quiet_end);
        for (const [n, v] of [['quiet_start', quiet_start], ['quiet_end', quiet_end]] as const) {
          if (v !== null && !HHMM.test(v)) throw new Invalid(`${n} "${v}" is not HH:MM`);
        }
        return {
          ids,
          attrs,
          line,
          consent_id: contentId('k-', [IDENTIFIER_TYPES.map((t) => ids[t]), channel, status, ts, timezone, quiet_start, quiet_end, attrs]),
          channel,
          status,
          ts,
          timezone,
          quiet_start,
          quiet_end,
        };
      }
      case 'messages': {
        const speaker = oneOf(f, 'speaker', SPEAKERS, true)!;
        const text = required(f, 'text');
        const conversation_id = str(f.conversation_id);
        // A customer's message with no identifier is anonymous; an employee's or a bot's takes
        // its customer from its conversation, so without one it would belong to nothing.
        if (speaker !== 'customer' && conversation_id === null && !hasAnyId(ids)) {
          throw new Invalid(`${speaker === 'agent' ? 'an' : 'a'} ${speaker} message with no identifier needs a conversation_id`);
        }
        return {
          ids,
          attrs,
          line,
          message_id: required(f, 'message_id'),
          ts: time(f, 'ts', zone, true),
          speaker,
          text,
          conversation_id,
          channel: str(f.channel)?.toLowerCase() ?? null,
          agent_id: str(f.agent_id),
          event_id: str(f.event_id),
          in_reply_to: str(f.in_reply_to),
        };
      }
      case 'staff': {
        return {
          ids,
          attrs,
          line,
          employee_id: required(f, 'employee_id'),
          name: str(f.name),
          team: str(f.team),
          site: str(f.site),
          manager_id: str(f.manager_id),
          role: str(f.role),
          since: time(f, 'since', zone, false),
          until: time(f, 'until', zone, false),
        };
      }
      case 'employee_feedback': {
        const ts = time(f, 'ts', zone, true);
        const metric = oneOf(f, 'metric', Object.keys(EMPLOYEE_METRICS) as EmployeeMetric[], true)!;
        const score = num(f, 'score');
        if (score === null) throw new Invalid('missing score');
        const [lo, hi] = EMPLOYEE_METRICS[metric];
        if (score < lo || score > hi) throw new Invalid(`score ${score} is outside ${metric}'s range ${lo}–${hi}`);
        return {
          ids,
          attrs,
          line,
          response_id: required(f, 'response_id'),
          ts,
          survey_id: required(f, 'survey_id'),
          metric,
          score,
          team: required(f, 'team'),
          employee_id: str(f.employee_id),
          comment: str(f.comment),
        };
      }
    }
    throw new Invalid(`unknown kind ${String(kind)}`);
  };

  return (fields, line) => {
    const problem = contentProblem(fields);
    if (problem !== null) return reject(problem);
    try {
      return ok(build(fields, line) as RecordOfKind[K]);
    } catch (e) {
      if (e instanceof Invalid) return reject(e.message);
      throw e;
    }
  };
}

/** The id of a record of any kind: its idempotency key. */
export function recordId(kind: Kind, r: RecordOfKind[Kind]): string {
  switch (kind) {
    case 'interactions':
      return (r as RecordOfKind['interactions']).event_id;
    case 'feedback':
      return (r as RecordOfKind['feedback']).response_id;
    case 'profiles':
      return (r as RecordOfKind['profiles']).profile_id;
    case 'holdings':
      return (r as RecordOfKind['holdings']).holding_id;
    case 'promises':
      return (r as RecordOfKind['promises']).promise_id;
    case 'consents':
      return (r as RecordOfKind['consents']).consent_id;
    case 'messages':
      return (r as RecordOfKind['messages']).message_id;
    case 'staff':
      return (r as RecordOfKind['staff']).employee_id;
    case 'employee_feedback':
      return (r as RecordOfKind['employee_feedback']).response_id;
  }
}
