/**
 * writeDemo: simulates customers one at a time and streams their rows into the six contract
 * files, the identity truth and a running tally that becomes truth.json. Memory holds one
 * customer's story, the write buffers and a short queue of rows waiting to be re-exported.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../core/errors.ts';
import { FAILED_OUTCOMES, KINDS } from '../core/records.ts';
import type { Kind as RecordKind } from '../core/records.ts';

/** The kinds the demo writes: not every kind of the contract (it has no messages). */
type Kind = Exclude<RecordKind, 'messages'>;
const DEMO_KINDS = KINDS.filter((k): k is Kind => k !== 'messages');
import {
  BLOCKED_CALLER_ID,
  callerId,
  createPerson,
  normaliseEmail,
  normalisePhone,
  PLACEHOLDER_PROFILE_EMAIL,
  PLACEHOLDER_STORE_EMAIL,
  writeEmail,
  writePhone,
} from './person.ts';
import type { Person } from './person.ts';
import type { AgentTruth, Planted } from './planted.ts';
import { Rng } from './random.ts';
import { Sink, csvRow } from './sink.ts';
import { simulate, TS_EPOCH, TS_LOCAL, TS_UTC, TS_UTC_MS } from './simulate.ts';
import type { Ev, Fb, Period, Story } from './simulate.ts';
import { clockMinutes, DAY, formatLocal, formatUtc, localTimeOfDay, MINUTE } from './time.ts';
import { BROKEN_STEPS, createStaffing, DECOY_STEPS, PROMISE_BREAK_RATES, PROMISE_KINDS, round3 } from './world.ts';
import type { Staffing } from './world.ts';
import { EMPLOYEE_FEEDBACK_HEADER, employeeFeedbackRows, pickDisengagedTeam, plantTimedSms, STAFF_HEADER, staffRows, TimedSmsTally } from './teams.ts';

export interface DemoOptions {
  customers: number;
  days: number;
  seed: number;
  /** Exclusive end of the period, UTC. */
  end: Date;
}

export interface DemoFile {
  path: string;
  records: number;
}

export interface DemoResult {
  dir: string;
  /** The six input files, keyed by kind: exactly what `throughline import` takes. */
  files: Record<string, DemoFile>;
  planted: Planted;
  /** Ground truth, not input data: never import these. */
  truthFiles: { planted: string; identity: string };
}

const HEADERS: Readonly<Record<Exclude<Kind, 'feedback'>, readonly string[]>> = {
  profiles: ['customer_id', 'account_id', 'phone', 'email', 'name', 'segment', 'timezone'],
  interactions: [
    'event_id', 'ts', 'channel', 'activity', 'outcome', 'direction', 'agent_id', 'intent',
    'customer_id', 'account_id', 'phone', 'email', 'device_id', 'cookie_id', 'duration_s', 'wait_s', 'text',
  ],
  holdings: ['customer_id', 'account_id', 'product', 'since', 'until'],
  promises: ['promise_id', 'ts', 'due', 'kind', 'agent_id', 'event_id', 'description', 'kept_at', 'customer_id', 'account_id'],
  consents: ['customer_id', 'channel', 'status', 'ts', 'timezone', 'quiet_start', 'quiet_end'],
  staff: STAFF_HEADER,
  employee_feedback: EMPLOYEE_FEEDBACK_HEADER,
};
export const FILE_NAMES: Readonly<Record<Kind, string>> = {
  profiles: 'profiles.csv',
  interactions: 'interactions.csv',
  feedback: 'feedback.jsonl',
  holdings: 'holdings.csv',
  promises: 'promises.csv',
  consents: 'consents.csv',
  staff: 'staff.csv',
  employee_feedback: 'employee_feedback.csv',
};
export const DEMO_HEADERS = HEADERS;

const ID_PREFIX: Readonly<Record<string, string>> = {
  web: 'WEB', app: 'APP', ivr: 'IVR', call: 'CALL', chat: 'CHAT', store: 'POS', email: 'EML', sms: 'SMS',
};
const DUPLICATE_RATE = 0.01;
const SHARED_ALWAYS = ['p:' + BLOCKED_CALLER_ID, 'e:' + PLACEHOLDER_PROFILE_EMAIL, 'e:' + PLACEHOLDER_STORE_EMAIL];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function checkOptions(options: DemoOptions): void {
  const whole = (x: number): boolean => Number.isSafeInteger(x) && x >= 1;
  if (!whole(options.customers)) throw new AppError('usage', `customers must be a positive whole number, got ${options.customers}`);
  if (!whole(options.days)) throw new AppError('usage', `days must be a positive whole number, got ${options.days}`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new AppError('usage', `seed must be a whole number ≥ 0, got ${options.seed}`);
  if (options.customers > 4_000_000) throw new AppError('usage', 'customers must be at most 4,000,000');
  if (!(options.end instanceof Date) || Number.isNaN(options.end.getTime())) throw new AppError('usage', 'end must be a valid date');
}

/** An identifier set of one record, for the linkability truth. */
interface IdRecord {
  kind: Kind;
  id: string;
  strong: boolean;
  weak: string[];
}

function weakKeys(phone: string, email: string, device: string, cookie: string): string[] {
  const keys: string[] = [];
  if (phone !== '') keys.push('p:' + normalisePhone(phone));
  if (email !== '') keys.push('e:' + normaliseEmail(email));
  if (device !== '') keys.push('d:' + device.trim());
  if (cookie !== '') keys.push('c:' + cookie.trim());
  return keys;
}

/**
 * Which of one person's records the contract's rules can connect: strong identifiers always; a
 * weak one when it meets a strong one (directly or through other weak ones) on some record and
 * is not shared with anyone else. Persons' weak identifiers never collide except by design
 * (households, blocked caller id, placeholders), so the per-person view is the global one.
 */
function linkability(records: readonly IdRecord[], shared: ReadonlySet<string>): Uint8Array {
  const anchored = new Set<string>();
  for (const r of records) if (r.strong) for (const k of r.weak) if (!shared.has(k)) anchored.add(k);
  let changed = true;
  while (changed) {
    changed = false;
    for (const r of records) {
      if (r.strong) continue;
      const usable = r.weak.filter((k) => !shared.has(k));
      if (usable.some((k) => anchored.has(k))) {
        for (const k of usable) {
          if (!anchored.has(k)) {
            anchored.add(k);
            changed = true;
          }
        }
      }
    }
  }
  const out = new Uint8Array(records.length);
  records.forEach((r, i) => {
    out[i] = r.strong || r.weak.some((k) => !shared.has(k) && anchored.has(k)) ? 1 : 0;
  });
  return out;
}

class Tally {
  readonly duplicateIds: string[] = [];
  readonly households: [string, string][] = [];
  readonly householdPhones: string[] = [];
  readonly churned: { customer_id: string; at: string }[] = [];
  readonly hidden: string[] = [];
  readonly hiddenPlanted: string[] = [];
  readonly steps = new Map<string, [number, number]>();
  readonly journeys = new Map<string, [number, number]>();
  readonly agentStats = new Map<string, { contacts: number; escalations: number; csatN: number; csatSum: number }>();
  readonly promiseStats = new Map<string, { made: number; kept: number; broken: number; open: number }>();
  readonly unlinkable: Record<Kind, number> = { profiles: 0, interactions: 0, feedback: 0, holdings: 0, promises: 0, consents: 0, staff: 0, employee_feedback: 0 };
  uniqueInteractions = 0;
  identityRows = 0;
  blockedRecords = 0;
  placeholderOnly = 0;
  placeholderProfiles = 0;
  profilesWithoutPhone = 0;
  profilesWithoutAccount = 0;
  plus1Persons = 0;
  cookiesLoggedIn = 0;
  cookiesNever = 0;
  otherPhoneRecords = 0;
  offers = 0;
  reminders = 0;
  invites = 0;
  offersHeld = 0;
  offersDenied = 0;
  offersQuiet = 0;
  npsResponses = 0;
  npsCustomers = 0;
  promoters = 0;
  passives = 0;
  detractors = 0;
  csatN = 0;
  csatSum = 0;
  csatGood = 0;
  cesN = 0;
  cesSum = 0;
}

interface Sinks {
  profiles: Sink;
  interactions: Sink;
  feedback: Sink;
  holdings: Sink;
  promises: Sink;
  consents: Sink;
  staff: Sink;
  employee_feedback: Sink;
  identity: Sink;
}

/** Counters that give every record of the dataset its id, in file order. */
interface Counters {
  event: number;
  response: number;
  promise: number;
  holdingRow: number;
  consentRow: number;
}

function formatTs(ev: Ev, person: Person): string {
  switch (ev.style) {
    case TS_UTC_MS:
      return formatUtc(ev.t, true);
    case TS_UTC:
      return formatUtc(ev.t, false);
    case TS_LOCAL:
      return formatLocal(person.zone, ev.t);
    case TS_EPOCH:
      return String(ev.t);
    default:
      throw new Error(`unknown timestamp style ${ev.style}`);
  }
}

class DemoWriter {
  private readonly tally = new Tally();
  private readonly counters: Counters = { event: 0, response: 0, promise: 0, holdingRow: 0, consentRow: 0 };
  /** Rows to export a second time once the file has moved on past a few more customers. */
  private readonly pendingDuplicates: { line: string; after: number }[] = [];
  private readonly dupRng: Rng;

  constructor(
    private readonly sinks: Sinks,
    private readonly options: DemoOptions,
    private readonly period: Period,
  ) {
    this.dupRng = new Rng(options.seed, 'duplicates');
  }

  writePerson(story: Story): void {
    const p = story.person;
    const rng = new Rng(this.options.seed, 'write', p.index);
    const records: IdRecord[] = [];
    const s = this.sinks;
    const t = this.tally;

    // Profile: the CRM row.
    const profilePhone = p.phoneOnProfile ? writePhone(rng, p.phoneDigits, p.plus1) : '';
    const profileEmail = p.placeholderEmail ? PLACEHOLDER_PROFILE_EMAIL : writeEmail(rng, p.email);
    s.profiles.write(
      csvRow([p.customerId, p.accountOnProfile ? p.accountId : '', profilePhone, profileEmail, p.profileName, p.segment, p.zone.name]),
    );
    s.profiles.records++;
    records.push({ kind: 'profiles', id: `row:${s.profiles.records}`, strong: true, weak: weakKeys(profilePhone, profileEmail, '', '') });
    if (p.placeholderEmail) t.placeholderProfiles++;
    if (!p.phoneOnProfile) t.profilesWithoutPhone++;
    if (!p.accountOnProfile) t.profilesWithoutAccount++;
    if (p.plus1) t.plus1Persons++;
    if (p.householdWith !== null && p.householdWith > p.customerId) {
      t.households.push([p.customerId, p.householdWith]);
      t.householdPhones.push(normalisePhone(callerId(p.phoneDigits, p.plus1)));
    }

    // Interactions, in time order; ids follow file order.
    const cookieLogin = new Map<string, boolean>();
    for (const ev of story.events) {
      this.counters.event++;
      ev.id = `${ID_PREFIX[ev.channel] ?? 'EVT'}-${pad(this.counters.event, 9)}`;
      const line = csvRow([
        ev.id,
        formatTs(ev, p),
        ev.channel,
        ev.activity,
        ev.outcome,
        ev.outbound ? 'outbound' : ev.channel === 'web' || ev.channel === 'app' ? '' : 'inbound',
        ev.agent,
        ev.intent,
        ev.cid,
        ev.acc,
        ev.phone,
        ev.email,
        ev.device,
        ev.cookie,
        ev.durationS >= 0 ? String(ev.durationS) : '',
        ev.waitS >= 0 ? String(ev.waitS) : '',
        ev.text,
      ]);
      s.interactions.write(line);
      s.interactions.records++;
      t.uniqueInteractions++;
      if (this.dupRng.chance(DUPLICATE_RATE)) {
        this.pendingDuplicates.push({ line, after: p.index + this.dupRng.int(1, 40) });
        t.duplicateIds.push(ev.id);
      }
      records.push({ kind: 'interactions', id: ev.id, strong: ev.cid !== '' || ev.acc !== '', weak: weakKeys(ev.phone, ev.email, ev.device, ev.cookie) });
      this.tallyEvent(ev, story);
      if (ev.cookie !== '') cookieLogin.set(ev.cookie, (cookieLogin.get(ev.cookie) ?? false) || ev.cid !== '');
    }
    for (const loggedIn of cookieLogin.values()) {
      if (loggedIn) t.cookiesLoggedIn++;
      else t.cookiesNever++;
    }

    // Feedback, as JSON Lines with absent keys left out.
    const csat: number[] = [];
    let npsDetractor = false;
    let npsAnswered = false;
    for (const fb of story.feedback) {
      this.counters.response++;
      const id = `RSP-${pad(this.counters.response, 9)}`;
      s.feedback.write(`${JSON.stringify(this.feedbackObject(id, fb))}\n`);
      s.feedback.records++;
      records.push({ kind: 'feedback', id, strong: fb.cid !== '' || fb.acc !== '', weak: weakKeys(fb.phone, fb.email, '', '') });
      if (fb.metric === 'nps') {
        npsAnswered = true;
        t.npsResponses++;
        if (fb.score >= 9) t.promoters++;
        else if (fb.score >= 7) t.passives++;
        else {
          t.detractors++;
          npsDetractor = true;
        }
      } else if (fb.metric === 'csat') {
        csat.push(fb.score);
        t.csatN++;
        t.csatSum += fb.score;
        if (fb.score >= 4) t.csatGood++;
        const a = this.agent(fb.agent);
        a.csatN++;
        a.csatSum += fb.score;
      } else {
        t.cesN++;
        t.cesSum += fb.score;
      }
    }
    if (npsAnswered) t.npsCustomers++;
    if (npsDetractor && csat.length > 0 && csat.every((x) => x >= 4)) t.hidden.push(p.customerId);
    if (p.hiddenAtRisk) t.hiddenPlanted.push(p.customerId);

    // Holdings: the billing system knows accounts.
    const holdingIds = p.accountOnProfile ? ['', p.accountId] : [p.customerId, ''];
    for (const h of story.holdings) {
      s.holdings.write(csvRow([...holdingIds, h.product, formatUtc(h.since, false), h.until === null ? '' : formatUtc(h.until, false)]));
      s.holdings.records++;
      records.push({ kind: 'holdings', id: `row:${s.holdings.records}`, strong: true, weak: [] });
    }

    for (const pr of story.promises) {
      this.counters.promise++;
      const id = `PRM-${pad(this.counters.promise, 9)}`;
      s.promises.write(
        csvRow([
          id,
          formatLocal(p.zone, pr.t),
          formatLocal(p.zone, pr.due),
          pr.kind,
          pr.agent,
          pr.ev.id,
          pr.description,
          pr.kept === null ? '' : formatLocal(p.zone, pr.kept),
          pr.cid,
          pr.acc,
        ]),
      );
      s.promises.records++;
      records.push({ kind: 'promises', id, strong: true, weak: [] });
      const stat = this.promiseStat(pr.kind);
      stat.made++;
      stat[pr.state]++;
    }

    for (const c of story.consents) {
      s.consents.write(
        csvRow([p.customerId, c.channel, c.status, formatUtc(c.t, false), p.zone.name, p.quiet?.[0] ?? '', p.quiet?.[1] ?? '']),
      );
      s.consents.records++;
      records.push({ kind: 'consents', id: `row:${s.consents.records}`, strong: true, weak: [] });
    }

    for (const j of story.journeys) {
      const entry = this.tally.journeys.get(j.intent) ?? [0, 0];
      entry[0]++;
      if (j.resolved) entry[1]++;
      this.tally.journeys.set(j.intent, entry);
    }
    if (story.churnAt !== null) t.churned.push({ customer_id: p.customerId, at: formatUtc(story.churnAt, false) });

    // Identity truth, one row per record.
    const shared = new Set(SHARED_ALWAYS);
    if (p.householdWith !== null) shared.add('p:' + normalisePhone(callerId(p.phoneDigits, p.plus1)));
    const linkable = linkability(records, shared);
    let rows = '';
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as IdRecord;
      const ok = linkable[i] === 1;
      if (!ok) t.unlinkable[r.kind]++;
      rows += `${r.kind},${r.id},${p.customerId},${ok ? 1 : 0}\n`;
    }
    s.identity.write(rows);
    s.identity.records += records.length;
    t.identityRows += records.length;

    // Re-exports whose time has come go after this customer's rows.
    for (let i = 0; i < this.pendingDuplicates.length; ) {
      const d = this.pendingDuplicates[i] as { line: string; after: number };
      if (d.after <= p.index) {
        s.interactions.write(d.line);
        s.interactions.records++;
        this.pendingDuplicates.splice(i, 1);
      } else i++;
    }
  }

  private feedbackObject(id: string, fb: Fb): Record<string, string | number> {
    const o: Record<string, string | number> = {
      response_id: id,
      ts: fb.epoch ? Math.round(fb.t) : formatUtc(Math.round(fb.t), false),
      survey_id: fb.survey,
      metric: fb.metric,
      scope: fb.scope,
      score: fb.score,
    };
    if (fb.comment !== '') o.comment = fb.comment;
    if (fb.ev !== null) o.event_id = fb.ev.id;
    if (fb.agent !== '') o.agent_id = fb.agent;
    if (fb.cid !== '') o.customer_id = fb.cid;
    if (fb.acc !== '') o.account_id = fb.acc;
    if (fb.email !== '') o.email = fb.email;
    if (fb.phone !== '') o.phone = fb.phone;
    return o;
  }

  private agent(id: string): { contacts: number; escalations: number; csatN: number; csatSum: number } {
    let a = this.tally.agentStats.get(id);
    if (a === undefined) {
      a = { contacts: 0, escalations: 0, csatN: 0, csatSum: 0 };
      this.tally.agentStats.set(id, a);
    }
    return a;
  }

  private promiseStat(kind: string): { made: number; kept: number; broken: number; open: number } {
    let s = this.tally.promiseStats.get(kind);
    if (s === undefined) {
      s = { made: 0, kept: 0, broken: 0, open: 0 };
      this.tally.promiseStats.set(kind, s);
    }
    return s;
  }

  private tallyEvent(ev: Ev, story: Story): void {
    const t = this.tally;
    const p = story.person;
    if (ev.outbound) {
      if (ev.activity.startsWith('marketing/offer_')) {
        t.offers++;
        const product = ev.activity.slice('marketing/offer_'.length);
        if (story.holdings.some((h) => h.product === product && h.since <= ev.t && (h.until === null || h.until > ev.t))) t.offersHeld++;
        let status = 'grant';
        let latest = -Infinity;
        for (const c of story.consents) {
          if (c.channel === ev.channel && c.t <= ev.t && c.t >= latest) {
            latest = c.t;
            status = c.status;
          }
        }
        if (status === 'deny') t.offersDenied++;
        if (p.quiet !== null) {
          const minute = Math.floor(localTimeOfDay(p.zone, ev.t) / MINUTE);
          const from = clockMinutes(p.quiet[0]);
          const to = clockMinutes(p.quiet[1]);
          if (from > to ? minute >= from || minute < to : minute >= from && minute < to) t.offersQuiet++;
        }
      } else if (ev.activity.startsWith('survey/')) t.invites++;
      else t.reminders++;
      return;
    }
    const key = `${ev.channel}:${ev.activity}`;
    const step = t.steps.get(key) ?? [0, 0];
    step[0]++;
    if (FAILED_OUTCOMES.has(ev.outcome)) step[1]++;
    t.steps.set(key, step);
    if (ev.phone === BLOCKED_CALLER_ID) t.blockedRecords++;
    if (ev.phone !== '' && p.otherPhones.includes(ev.phone)) t.otherPhoneRecords++;
    if (ev.email === PLACEHOLDER_STORE_EMAIL && ev.cid === '' && ev.acc === '' && ev.phone === '') t.placeholderOnly++;
    // A contact is the first event of an assisted visit: the one that carries the wait.
    if (ev.agent !== '' && ev.waitS >= 0) {
      const a = this.agent(ev.agent);
      a.contacts++;
      if (ev.escalation) a.escalations++;
    }
  }

  /** Rows still waiting for their re-export go at the very end of the file. */
  flushDuplicates(): void {
    for (const d of this.pendingDuplicates) {
      this.sinks.interactions.write(d.line);
      this.sinks.interactions.records++;
    }
    this.pendingDuplicates.length = 0;
  }

  planted(staffing: Staffing, extra: Pick<Planted, 'teams' | 'outbound_timing'>): Planted {
    const t = this.tally;
    const o = this.options;
    const observed = (channel: string, activity: string): { observed_failure_rate: number; events: number } => {
      const [n, f] = t.steps.get(`${channel}:${activity}`) ?? [0, 0];
      return { observed_failure_rate: n === 0 ? 0 : round3(f / n), events: n };
    };
    const special = new Set([...BROKEN_STEPS, ...DECOY_STEPS].map((s) => `${s.channel}:${s.activity}`));
    const normalRates: number[] = [];
    for (const [key, [n, f]] of [...t.steps.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (special.has(key) || n < 50 || key.endsWith('/ivr_menu') || key.startsWith('cancel')) continue;
      normalRates.push(f / n);
    }
    normalRates.sort((a, b) => a - b);
    const agents: AgentTruth[] = staffing.agents.map((a) => {
      const s = t.agentStats.get(a.agent_id) ?? { contacts: 0, escalations: 0, csatN: 0, csatSum: 0 };
      return {
        agent_id: a.agent_id,
        name: a.name,
        team: a.team,
        kind: a.kind,
        skill: a.skill,
        escalation: a.escalation,
        rude: a.rude,
        contacts: s.contacts,
        escalation_contacts: s.escalations,
        csat_responses: s.csatN,
        raw_csat: s.csatN === 0 ? null : round3(s.csatSum / s.csatN),
      };
    });
    const byIntent = [...t.journeys.entries()]
      .sort((a, b) => b[1][0] - a[1][0] || (a[0] < b[0] ? -1 : 1))
      .map(([intent, [journeys, resolved]]) => ({ intent, journeys, resolved }));
    const npsN = t.npsResponses;
    return {
      version: 1,
      options: {
        customers: o.customers,
        days: o.days,
        seed: o.seed,
        start: new Date(this.period.start).toISOString(),
        end: new Date(this.period.end).toISOString(),
      },
      counts: {
        profiles: this.sinks.profiles.records,
        interactions: this.sinks.interactions.records,
        feedback: this.sinks.feedback.records,
        holdings: this.sinks.holdings.records,
        promises: this.sinks.promises.records,
        consents: this.sinks.consents.records,
        staff: this.sinks.staff.records,
        employee_feedback: this.sinks.employee_feedback.records,
        interactions_unique: t.uniqueInteractions,
        truth_identity: t.identityRows,
      },
      persons: o.customers,
      duplicate_event_ids: t.duplicateIds,
      identity: {
        households: t.households,
        household_phones: t.householdPhones,
        blocked_caller_ids: [BLOCKED_CALLER_ID],
        blocked_caller_records: t.blockedRecords,
        placeholder_emails: [PLACEHOLDER_PROFILE_EMAIL, PLACEHOLDER_STORE_EMAIL],
        profiles_with_placeholder_email: t.placeholderProfiles,
        placeholder_only_records: t.placeholderOnly,
        profiles_without_phone: t.profilesWithoutPhone,
        profiles_without_account: t.profilesWithoutAccount,
        persons_with_plus1_phone: t.plus1Persons,
        anonymous_cookies: { logged_in: t.cookiesLoggedIn, never: t.cookiesNever },
        other_phone_records: t.otherPhoneRecords,
        unlinkable_records: t.unlinkable,
      },
      journeys: {
        total: byIntent.reduce((n, j) => n + j.journeys, 0),
        resolved: byIntent.reduce((n, j) => n + j.resolved, 0),
        by_intent: byIntent,
      },
      broken_steps: BROKEN_STEPS.map((s) => ({ channel: s.channel, activity: s.activity, failure_rate: s.failure_rate, ...observed(s.channel, s.activity), story: s.story })),
      decoy_steps: DECOY_STEPS.map((s) => ({ channel: s.channel, activity: s.activity, failure_rate: s.failure_rate, ...observed(s.channel, s.activity), why: s.why })),
      normal_failure_rate: normalRates.length === 0 ? 0 : round3(normalRates[Math.floor(normalRates.length / 2)] as number),
      agents,
      rude_staff: staffing.agents.filter((a) => a.rude).map((a) => a.agent_id),
      escalation_agents: staffing.agents.filter((a) => a.escalation).map((a) => a.agent_id),
      promises: PROMISE_KINDS.map((kind) => ({ kind, broken_rate: PROMISE_BREAK_RATES[kind], ...(t.promiseStats.get(kind) ?? { made: 0, kept: 0, broken: 0, open: 0 }) })),
      nps_drivers: [
        ...BROKEN_STEPS.map((s) => ({ factor: `${s.channel}:${s.activity} failure`, effect: -2.4 })),
        { factor: 'broken promise: credit', effect: -3.0 },
        ...PROMISE_KINDS.filter((k) => k !== 'credit').map((k) => ({ factor: `broken promise: ${k}`, effect: -1.4 })),
        ...staffing.agents.filter((a) => a.rude).map((a) => ({ factor: `store staff ${a.agent_id}`, effect: -2.6 })),
        { factor: 'any other failed step or unresolved journey (each, up to 3)', effect: -0.35 },
      ],
      non_drivers: [
        'which call or chat agent handled the contact (agents affect CSAT only)',
        ...DECOY_STEPS.map((s) => `${s.channel}:${s.activity}`),
      ],
      feedback: {
        relationship_nps: {
          responses: npsN,
          customers: t.npsCustomers,
          promoters: t.promoters,
          passives: t.passives,
          detractors: t.detractors,
          score: npsN === 0 ? 0 : Math.round(((t.promoters - t.detractors) / npsN) * 1000) / 10,
        },
        csat: {
          responses: t.csatN,
          mean: t.csatN === 0 ? 0 : round3(t.csatSum / t.csatN),
          percent_satisfied: t.csatN === 0 ? 0 : Math.round((t.csatGood / t.csatN) * 1000) / 10,
        },
        ces: { responses: t.cesN, mean: t.cesN === 0 ? 0 : round3(t.cesSum / t.cesN) },
      },
      hidden_at_risk: t.hidden,
      hidden_at_risk_planted: t.hiddenPlanted.filter((id) => t.hidden.includes(id)),
      churned: t.churned,
      offers_for_held_products: t.offersHeld,
      outbound: {
        offers: t.offers,
        reminders: t.reminders,
        survey_invites: t.invites,
        offers_to_denied_consent: t.offersDenied,
        offers_in_quiet_hours: t.offersQuiet,
      },
      ...extra,
    };
  }
}

/**
 * Writes a demo dataset in the data contract into `dir` (created if missing), plus truth.json
 * and truth_identity.csv. Same options, same bytes.
 *
 * @example
 * const { files, planted } = await writeDemo('.demo', { customers: 2000, days: 90, seed: 42, end: new Date('2026-06-01T00:00:00Z') });
 * for (const line of describePlanted(planted)) process.stderr.write(`${line}\n`);
 */
export async function writeDemo(dir: string, options: DemoOptions, onProgress?: (done: number, total: number) => void): Promise<DemoResult> {
  checkOptions(options);
  await mkdir(dir, { recursive: true });
  const end = options.end.getTime();
  const period: Period = {
    seed: options.seed,
    start: end - options.days * DAY,
    end,
    days: options.days,
    staffing: createStaffing(options.seed),
  };
  const sinks: Sinks = {
    profiles: new Sink(join(dir, FILE_NAMES.profiles)),
    interactions: new Sink(join(dir, FILE_NAMES.interactions)),
    feedback: new Sink(join(dir, FILE_NAMES.feedback)),
    holdings: new Sink(join(dir, FILE_NAMES.holdings)),
    promises: new Sink(join(dir, FILE_NAMES.promises)),
    consents: new Sink(join(dir, FILE_NAMES.consents)),
    staff: new Sink(join(dir, FILE_NAMES.staff)),
    employee_feedback: new Sink(join(dir, FILE_NAMES.employee_feedback)),
    identity: new Sink(join(dir, 'truth_identity.csv')),
  };
  const all = Object.values(sinks);
  try {
    for (const kind of DEMO_KINDS) if (kind !== 'feedback') sinks[kind].write(csvRow(HEADERS[kind]));
    sinks.identity.write('kind,record_id,person_id,linkable\n');
    const writer = new DemoWriter(sinks, options, period);
    const timed = new TimedSmsTally();
    const total = options.customers;
    const every = Math.max(1, Math.floor(total / 200));
    for (let i = 1; i <= total; i++) {
      const story = simulate(createPerson(options.seed, i, total), period);
      plantTimedSms(story, period, timed);
      writer.writePerson(story);
      for (const sink of all) await sink.relieve();
      if (onProgress !== undefined && (i % every === 0 || i === total)) onProgress(i, total);
    }
    writer.flushDuplicates();
    for (const row of staffRows(period.staffing, period)) sinks.staff.write(row);
    sinks.staff.records = period.staffing.agents.length + new Set(period.staffing.agents.map((a) => a.team)).size;
    const disengaged = pickDisengagedTeam(period.staffing);
    const pulse = employeeFeedbackRows(period.staffing, period, disengaged);
    for (const row of pulse.rows) sinks.employee_feedback.write(row);
    sinks.employee_feedback.records = pulse.rows.length;
    await Promise.all(all.map((sink) => sink.close()));
    const planted = writer.planted(period.staffing, {
      teams: { disengaged_team: disengaged, enps_answers: pulse.answers, below_floor: Object.keys(pulse.answers).filter((t) => (pulse.answers[t] ?? 0) < 5).sort() },
      outbound_timing: timed.truth(),
    });
    const truthPath = join(dir, 'truth.json');
    await writeFile(truthPath, `${JSON.stringify(planted, null, 2)}\n`);
    const files: Record<string, DemoFile> = {};
    for (const kind of DEMO_KINDS) files[kind] = { path: sinks[kind].path, records: sinks[kind].records };
    return { dir, files, planted, truthFiles: { planted: truthPath, identity: sinks.identity.path } };
  } catch (e) {
    await Promise.allSettled(all.map((sink) => sink.close()));
    throw e;
  }
}
