/**
 * A deterministic interactions CSV in the contract's columns for the import benchmark: about ten
 * events per customer in a few journeys over 90 days, identifiers as sparse and messy as real
 * exports (most cells empty, customer and account numbers together only on some rows, household
 * phones, blocked caller ids, placeholder emails, anonymous cookies, mixed-case emails with spaces,
 * local-time offsets), a few re-sent duplicates.
 *
 * Streaming: only a compact journey plan (typed arrays, ~10 bytes per journey) and the lines of
 * the few days still open are in memory; the file is written day by day in time order.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';

/** Bump when the output changes, so a cached file from an older generator is not reused. */
const GENERATOR_VERSION = 2;

export const COLUMNS = [
  'event_id',
  'ts',
  'channel',
  'activity',
  'outcome',
  'direction',
  'agent_id',
  'intent',
  'customer_id',
  'account_id',
  'phone',
  'email',
  'cookie_id',
  'device_id',
  'duration_s',
  'wait_s',
] as const;

export interface GenerateOptions {
  readonly rows: number;
  readonly seed: number;
  readonly dir: string;
}

export interface Generated {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  readonly customers: number;
  readonly journeys: number;
  /** Rows that repeat an earlier row's event_id (an export that re-sent them). */
  readonly duplicates: number;
  /** Time spent generating; 0 when the file was reused. */
  readonly seconds: number;
  readonly reused: boolean;
}

interface Meta {
  readonly version: number;
  readonly rows: number;
  readonly seed: number;
  readonly bytes: number;
  readonly customers: number;
  readonly journeys: number;
  readonly duplicates: number;
}

// --- PRNG: sfc32 seeded by mixing integer parts, so any (customer, journey) has its own stream.

function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;
  constructor(...parts: readonly number[]) {
    let h = 0x9e3779b9;
    for (const p of parts) h = mix32(h ^ mix32(p >>> 0) ^ Math.imul(Math.floor(p / 4294967296), 0x5bd1e995));
    this.a = mix32(h + 0x6a09e667);
    this.b = mix32(h + 0xbb67ae85);
    this.c = mix32(h + 0x3c6ef372);
    for (let i = 0; i < 8; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }
  exp(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += ((this.next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}

// --- The world.

const START_MS = Date.UTC(2026, 0, 5);
const DAYS = 90;
const DAY_MS = 86_400_000;
const STREAM_PERSON = 1;
const STREAM_PLAN = 2;
const STREAM_JOURNEY = 3;

type Channel = 'web' | 'app' | 'ivr' | 'call' | 'chat' | 'store' | 'email' | 'sms';

const INTENTS: readonly (readonly [string, number, readonly string[]])[] = [
  ['pay_bill', 30, ['view_bill', 'submit_payment', 'payment_confirmation']],
  ['check_usage', 15, ['view_usage', 'usage_details']],
  ['tech_support', 15, ['report_issue', 'troubleshoot', 'book_technician']],
  ['dispute_charge', 10, ['view_bill', 'open_dispute', 'dispute_review']],
  ['upgrade_device', 10, ['browse_devices', 'check_eligibility', 'place_order']],
  ['change_plan', 8, ['compare_plans', 'select_plan', 'confirm_change']],
  ['move_service', 5, ['enter_address', 'schedule_move']],
  ['cancel_service', 4, ['cancel_request', 'retention_offer', 'confirm_cancel']],
  ['update_details', 3, ['login', 'edit_profile', 'save_profile']],
];
const INTENT_WEIGHTS = INTENTS.map((x, i) => [i, x[1]] as const);

const FIRST_CHANNEL: readonly (readonly [Channel, number])[] = [
  ['web', 38],
  ['app', 22],
  ['ivr', 18],
  ['call', 8],
  ['chat', 8],
  ['store', 6],
];
/** Where a customer goes next when a step did not settle it. */
const NEXT_CHANNEL: Readonly<Record<Channel, readonly (readonly [Channel, number])[]>> = {
  web: [['web', 60], ['chat', 15], ['call', 15], ['ivr', 10]],
  app: [['app', 60], ['call', 20], ['store', 10], ['chat', 10]],
  ivr: [['ivr', 30], ['call', 60], ['web', 10]],
  call: [['call', 50], ['store', 15], ['web', 20], ['ivr', 15]],
  chat: [['chat', 50], ['call', 35], ['web', 15]],
  store: [['store', 40], ['call', 40], ['app', 20]],
  email: [['web', 60], ['app', 30], ['call', 10]],
  sms: [['app', 50], ['web', 30], ['ivr', 20]],
};
const OFFSETS: readonly (readonly [string, number, number])[] = [
  // [suffix, minutes east of UTC, weight]
  ['-05:00', -300, 30],
  ['-06:00', -360, 22],
  ['-07:00', -420, 10],
  ['-08:00', -480, 18],
  ['-04:00', -240, 8],
  ['Z', 0, 10],
  ['+01:00', 60, 2],
];
const OFFSET_WEIGHTS = OFFSETS.map((o, i) => [i, o[2]] as const);
const EMAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'aol.com', 'comcast.net', 'hotmail.com'];
const NAMES = ['ana', 'ben', 'carla', 'dev', 'elena', 'farid', 'grace', 'hugo', 'ines', 'jon', 'kim', 'lena', 'marco', 'nia', 'omar', 'pia', 'raj', 'sara', 'tom', 'uma', 'vic', 'wen', 'yara', 'zoe'];
const SURNAMES = ['smith', 'garcia', 'nguyen', 'patel', 'kim', 'brown', 'lopez', 'muller', 'rossi', 'cohen', 'silva', 'okafor', 'tanaka', 'jones', 'ali'];

interface Person {
  readonly customerId: string;
  readonly accountId: string;
  readonly phone: string;
  readonly phoneStyle: number;
  readonly email: string;
  readonly cookies: readonly string[];
  readonly devices: readonly string[];
  readonly offset: number;
}

function phoneDigits(seed: number, c: number): string {
  const r = new Rng(seed, STREAM_PERSON, c, 7);
  return `${r.int(201, 989)}${r.int(200, 999)}${String(r.int(0, 9999)).padStart(4, '0')}`;
}

function person(seed: number, c: number): Person {
  const r = new Rng(seed, STREAM_PERSON, c);
  // One customer in twenty shares a household phone with the customer before them.
  const phone = c > 0 && r.chance(0.05) ? phoneDigits(seed, c - 1) : phoneDigits(seed, c);
  const email = `${r.pick(NAMES)}.${r.pick(SURNAMES)}${r.int(1, 9999)}@${r.pick(EMAIL_DOMAINS)}`;
  const cookies: string[] = [];
  for (let i = r.int(1, 3); i > 0; i--) cookies.push(`ck_${r.hex(16)}`);
  const devices: string[] = [];
  if (r.chance(0.55)) for (let i = r.int(1, 2); i > 0; i--) devices.push(`dv_${r.hex(12)}`);
  return {
    customerId: `C${1_000_000 + c}`,
    accountId: `ACC-${String(r.int(0, 99_999_999)).padStart(8, '0')}-${(c % 97).toString().padStart(2, '0')}`,
    phone,
    phoneStyle: r.int(0, 3),
    email,
    cookies,
    devices,
    offset: r.weighted(OFFSET_WEIGHTS),
  };
}

function formatPhone(d: string, style: number): string {
  switch (style) {
    case 0:
      return d;
    case 1:
      return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
    case 2:
      return `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`;
    default:
      return `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`;
  }
}

/** Real exports are not tidy: some emails keep the case they were typed in, some a stray space. */
function messyEmail(e: string, r: Rng): string {
  const u = r.next();
  if (u < 0.7) return e;
  if (u < 0.85) return e.replace(/^./, (x) => x.toUpperCase()).replace(/\.(.)/, (_, x: string) => '.' + x.toUpperCase());
  if (u < 0.95) return ` ${e}`;
  return e.toUpperCase();
}

function formatTs(ms: number, offset: number): string {
  const [suffix, minutes] = OFFSETS[offset]!;
  return new Date(ms + minutes * 60_000).toISOString().slice(0, 19) + suffix;
}

/** The identifier cells a channel's system records: most are empty on any one row. */
function identifierCells(p: Person, ch: Channel, r: Rng): string {
  let customerId = '';
  let accountId = '';
  let phone = '';
  let email = '';
  let cookie = '';
  let device = '';
  switch (ch) {
    case 'web':
      cookie = r.pick(p.cookies);
      if (r.chance(0.35)) customerId = p.customerId;
      else if (r.chance(0.05)) email = messyEmail(p.email, r);
      break;
    case 'app':
      device = p.devices.length > 0 ? r.pick(p.devices) : '';
      if (device === '' || r.chance(0.6)) customerId = p.customerId;
      // The billing screens of the app show the account too.
      if (customerId !== '' && r.chance(0.15)) accountId = p.accountId;
      break;
    case 'ivr':
      phone = r.chance(0.04) ? '0000000000' : formatPhone(p.phone, p.phoneStyle);
      if (r.chance(0.3)) accountId = p.accountId;
      break;
    case 'call':
      if (r.chance(0.9)) phone = r.chance(0.04) ? '0000000000' : formatPhone(p.phone, (p.phoneStyle + 1) & 3);
      if (phone === '' || r.chance(0.6)) accountId = p.accountId;
      // An agent who verified the caller records the customer number as well.
      if (accountId !== '' && r.chance(0.25)) customerId = p.customerId;
      break;
    case 'chat':
      if (r.chance(0.5)) cookie = r.pick(p.cookies);
      if (r.chance(0.4)) email = messyEmail(p.email, r);
      if (r.chance(0.4) || (cookie === '' && email === '')) customerId = p.customerId;
      break;
    case 'store': {
      const u = r.next();
      if (u < 0.5) customerId = p.customerId;
      else if (u < 0.8) phone = formatPhone(p.phone, 2);
      else accountId = p.accountId;
      if (customerId !== '' && r.chance(0.3)) accountId = p.accountId;
      if (r.chance(0.05)) email = 'none@none.com';
      break;
    }
    case 'email':
      email = p.email;
      if (r.chance(0.3)) customerId = p.customerId;
      break;
    case 'sms':
      phone = p.phone;
      break;
  }
  return `${customerId},${accountId},${phone},${email},${cookie},${device}`;
}

function stepName(intent: readonly string[], ch: Channel, k: number): string {
  switch (ch) {
    case 'ivr':
      return 'ivr_menu';
    case 'call':
      return 'agent_call';
    case 'chat':
      return 'chat_session';
    case 'store':
      return 'store_visit';
    default:
      return intent[Math.min(k, intent.length - 1)]!;
  }
}

function outcomeOf(ch: Channel, last: boolean, r: Rng): string {
  const u = r.next();
  switch (ch) {
    case 'web':
    case 'app':
      if (u < 0.4) return '';
      if (u < 0.47) return last ? 'abandoned' : 'success';
      if (u < 0.52) return 'failure';
      return 'success';
    case 'ivr':
      if (u < 0.25) return 'transferred';
      if (u < 0.32) return 'abandoned';
      return 'success';
    case 'call':
    case 'chat':
      if (u < 0.1) return 'failure';
      if (u < 0.2) return 'transferred';
      return 'success';
    default:
      return u < 0.1 ? 'failure' : 'success';
  }
}

// --- The plan: journeys as typed arrays, so 10M rows plan in ~40 MB.

class Plan {
  customer = new Int32Array(1024);
  index = new Uint8Array(1024);
  steps = new Uint8Array(1024);
  /** Start, in seconds after START_MS. */
  start = new Uint32Array(1024);
  length = 0;
  push(c: number, j: number, steps: number, start: number): void {
    if (this.length === this.customer.length) {
      const grow = <T extends Int32Array | Uint8Array | Uint32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.customer = grow(this.customer);
      this.index = grow(this.index);
      this.steps = grow(this.steps);
      this.start = grow(this.start);
    }
    const i = this.length++;
    this.customer[i] = c;
    this.index[i] = j;
    this.steps[i] = steps;
    this.start[i] = start;
  }
}

function plan(rows: number, seed: number): { plan: Plan; customers: number } {
  const p = new Plan();
  let total = 0;
  let c = 0;
  while (total < rows) {
    const r = new Rng(seed, STREAM_PLAN, c);
    const journeys = 1 + r.poisson(2);
    for (let j = 0; j < journeys && total < rows; j++) {
      const steps = Math.min(rows - total, 1 + Math.min(r.poisson(2.3), 20));
      // Journeys start between 13:00 and 03:00 UTC: daytime across US zones.
      let start = r.int(0, DAYS - 1) * 86_400 + r.int(13 * 3600, 27 * 3600);
      if (start >= DAYS * 86_400) start -= 86_400;
      p.push(c, j, steps, start);
      total += steps;
    }
    c++;
  }
  return { plan: p, customers: c };
}

interface Line {
  readonly ts: number;
  readonly text: string;
}

/** All rows of one journey; the time of each step follows from the last. */
function journeyLines(seed: number, p: Person, c: number, j: number, steps: number, startSec: number, agents: number, out: Line[]): number {
  const r = new Rng(seed, STREAM_JOURNEY, c, j);
  const intentIndex = r.weighted(INTENT_WEIGHTS);
  const [intentName, , intentSteps] = INTENTS[intentIndex]!;
  let ts = START_MS + startSec * 1000;
  let duplicates = 0;
  let ch: Channel = r.weighted(FIRST_CHANNEL);
  if (ch === 'app' && p.devices.length === 0) ch = 'web';
  // One journey in eight starts with a contact the company sent (a reminder, an offer).
  const outboundFirst = steps > 1 && r.chance(0.125);
  let prev = '';
  let digitalStep = 0;
  for (let k = 0; k < steps; k++) {
    if (k > 0 && prev !== '' && r.chance(0.002)) {
      // The source system sent this event twice.
      out.push({ ts, text: prev });
      duplicates++;
      continue;
    }
    let channel: Channel;
    let direction: string;
    let activity: string;
    if (k === 0 && outboundFirst) {
      channel = r.chance(0.6) ? 'email' : 'sms';
      direction = 'outbound';
      activity = `${intentName}/${intentName === 'pay_bill' ? 'bill_reminder' : 'notification'}`;
    } else {
      if (k > 0) {
        const from: Channel = ch;
        ch = r.weighted(NEXT_CHANNEL[from]);
        if (ch === 'app' && p.devices.length === 0) ch = 'web';
      }
      channel = ch;
      direction = r.chance(0.5) ? '' : 'inbound';
      activity = `${intentName}/${stepName(intentSteps, ch, digitalStep)}`;
      if (ch === 'web' || ch === 'app') digitalStep++;
    }
    const assisted = channel === 'call' || channel === 'chat' || channel === 'store';
    const agent = assisted ? `${channel === 'store' ? 'S' : 'A'}${String(r.int(1, agents)).padStart(5, '0')}` : '';
    const outcome = direction === 'outbound' ? '' : outcomeOf(channel, k === steps - 1, r);
    const intent = direction === 'outbound' || r.chance(0.6) ? intentName : '';
    let duration = '';
    let wait = '';
    switch (channel) {
      case 'ivr':
        duration = String(r.int(20, 300));
        break;
      case 'call':
        duration = (60 + r.exp(420)).toFixed(1);
        wait = String(Math.floor(r.exp(180)));
        break;
      case 'chat':
        duration = (120 + r.exp(600)).toFixed(1);
        wait = String(Math.floor(r.exp(60)));
        break;
      case 'store':
        duration = String(300 + Math.floor(r.exp(900)));
        break;
      case 'web':
      case 'app':
        if (r.chance(0.3)) duration = String(r.int(3, 300));
        break;
      default:
        break;
    }
    const text =
      `e-${c}-${j}-${k},${formatTs(ts, p.offset)},${channel},${activity},${outcome},${direction},${agent},${intent},` +
      `${identifierCells(p, channel, r)},${duration},${wait}\n`;
    out.push({ ts, text });
    prev = text;
    // The next step: seconds on a screen, minutes to a callback, now and then days later.
    const gapS = r.chance(0.12) ? 3600 + r.exp(2 * 86_400) : r.chance(0.3) ? 300 + r.exp(3600) : 5 + r.exp(90);
    ts += Math.round(Math.min(gapS, 10 * 86_400)) * 1000;
  }
  return duplicates;
}

function fileNames(o: GenerateOptions): { csv: string; meta: string } {
  const base = path.join(o.dir, `interactions-${o.rows}-s${o.seed}-g${GENERATOR_VERSION}`);
  return { csv: `${base}.csv`, meta: `${base}.json` };
}

/** Writes the file, or reuses one written earlier with the same parameters. */
export async function generateInteractions(o: GenerateOptions): Promise<Generated> {
  const started = performance.now();
  fs.mkdirSync(o.dir, { recursive: true });
  const names = fileNames(o);
  if (fs.existsSync(names.meta) && fs.existsSync(names.csv)) {
    const meta = JSON.parse(fs.readFileSync(names.meta, 'utf8')) as Meta;
    if (meta.version === GENERATOR_VERSION && meta.rows === o.rows && meta.seed === o.seed && fs.statSync(names.csv).size === meta.bytes) {
      return { path: names.csv, rows: meta.rows, bytes: meta.bytes, customers: meta.customers, journeys: meta.journeys, duplicates: meta.duplicates, seconds: 0, reused: true };
    }
  }
  const { plan: p, customers } = plan(o.rows, o.seed);
  const agents = Math.max(50, Math.round(customers / 150));

  // Counting sort of journeys by start day.
  const dayStart = new Int32Array(DAYS + 1);
  for (let i = 0; i < p.length; i++) dayStart[Math.floor(p.start[i]! / 86_400) + 1]!++;
  for (let d = 0; d < DAYS; d++) dayStart[d + 1]! += dayStart[d]!;
  const order = new Int32Array(p.length);
  const fill = dayStart.slice(0, DAYS);
  for (let i = 0; i < p.length; i++) order[fill[Math.floor(p.start[i]! / 86_400)]!++] = i;

  const tmp = `${names.csv}.tmp`;
  const ws = fs.createWriteStream(tmp);
  let buffer = COLUMNS.join(',') + '\n';
  let bytes = 0;
  let written = 0;
  let duplicates = 0;
  const write = async (force: boolean): Promise<void> => {
    if (buffer.length < 1 << 20 && !force) return;
    bytes += Buffer.byteLength(buffer);
    if (!ws.write(buffer)) await once(ws, 'drain');
    buffer = '';
  };
  /** Lines by UTC day; a day is written once no journey left to generate can reach it. */
  const open = new Map<number, Line[]>();
  const flushDay = async (day: number): Promise<void> => {
    const lines = open.get(day);
    if (lines === undefined) return;
    open.delete(day);
    lines.sort((a, b) => a.ts - b.ts); // stable: equal times keep the order they were made in
    for (const l of lines) {
      buffer += l.text;
      written++;
      await write(false);
    }
  };
  const scratch: Line[] = [];
  let lastCustomer = -1;
  let who: Person | undefined;
  for (let d = 0; d < DAYS; d++) {
    for (let n = dayStart[d]!; n < dayStart[d + 1]!; n++) {
      const i = order[n]!;
      const c = p.customer[i]!;
      if (c !== lastCustomer || who === undefined) {
        who = person(o.seed, c);
        lastCustomer = c;
      }
      scratch.length = 0;
      duplicates += journeyLines(o.seed, who, c, p.index[i]!, p.steps[i]!, p.start[i]!, agents, scratch);
      for (const l of scratch) {
        const day = Math.floor((l.ts - START_MS) / DAY_MS);
        let bucket = open.get(day);
        if (bucket === undefined) open.set(day, (bucket = []));
        bucket.push(l);
      }
    }
    await flushDay(d);
  }
  for (const day of [...open.keys()].sort((a, b) => a - b)) await flushDay(day);
  await write(true);
  ws.end();
  await once(ws, 'finish');
  if (written !== o.rows) throw new Error(`generator wrote ${written} rows, expected ${o.rows}`);
  fs.renameSync(tmp, names.csv);
  const meta: Meta = { version: GENERATOR_VERSION, rows: o.rows, seed: o.seed, bytes, customers, journeys: p.length, duplicates };
  fs.writeFileSync(names.meta, JSON.stringify(meta, null, 2) + '\n');
  return { path: names.csv, rows: o.rows, bytes, customers, journeys: p.length, duplicates, seconds: (performance.now() - started) / 1000, reused: false };
}
