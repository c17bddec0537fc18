import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isAppError } from '../core/errors.ts';
import { FAILED_OUTCOMES, METRICS, OUTCOMES } from '../core/records.ts';
import { describePlanted, writeBrokenSamples, writeDemo } from './index.ts';
import type { DemoOptions, DemoResult, Planted } from './index.ts';

const END = new Date('2026-06-01T00:00:00Z');
const SMALL: DemoOptions = { customers: 300, days: 60, seed: 7, end: END };

function createTestOptions(overrides: Partial<DemoOptions> = {}): DemoOptions {
  return { ...SMALL, ...overrides };
}

/** An independent RFC 4180 reader that also reports the line each record starts on. */
function parseCsv(text: string): { line: number; cells: string[] }[] {
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n') {
      cells.push(cell);
      records.push({ line: start, cells });
      cells = [];
      cell = '';
      line++;
      start = line;
    } else cell += ch;
  }
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    records.push({ line: start, cells });
  }
  return records;
}

type Row = Record<string, string>;

async function readTable(path: string): Promise<{ header: string[]; rows: Row[]; widths: number[] }> {
  const [head, ...rest] = parseCsv(await readFile(path, 'utf8'));
  assert.ok(head !== undefined, `${path} has a header`);
  const header = head.cells;
  return {
    header,
    widths: rest.map((r) => r.cells.length),
    rows: rest.map((r) => Object.fromEntries(header.map((h, i) => [h, r.cells[i] ?? '']))),
  };
}

async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

/** The contract's timestamp rule: ISO 8601 with Z or an offset, or integer epoch milliseconds. */
function parseTs(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  if (typeof value !== 'string') return null;
  if (/^\d{10,14}$/.test(value)) return Number(value);
  if (!ISO.test(value)) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

const IDENTIFIERS = ['customer_id', 'account_id', 'phone', 'email', 'device_id', 'cookie_id'] as const;
const hasIdentifier = (r: Record<string, unknown>): boolean => IDENTIFIERS.some((k) => typeof r[k] === 'string' && (r[k] as string).trim() !== '');

/** Why an interaction row breaks the contract, or null when it is valid. */
function interactionProblem(r: Row): string | null {
  if (r.event_id === '') return 'missing event_id';
  if (parseTs(r.ts) === null) return 'unparseable ts';
  if (r.channel === '' || r.channel !== r.channel?.toLowerCase()) return 'bad channel';
  if (r.activity === '') return 'missing activity';
  if (!hasIdentifier(r)) return 'no identifier';
  return null;
}

function feedbackProblem(r: Record<string, unknown>): string | null {
  for (const k of ['response_id', 'ts', 'survey_id', 'metric', 'scope', 'score']) if (r[k] === undefined || r[k] === '') return `missing ${k}`;
  if (parseTs(r.ts) === null) return 'unparseable ts';
  const range = METRICS[r.metric as keyof typeof METRICS] as readonly [number, number] | undefined;
  if (range === undefined) return 'unknown metric';
  if (r.scope !== 'relationship' && r.scope !== 'transaction') return 'unknown scope';
  if (typeof r.score !== 'number' || r.score < range[0] || r.score > range[1]) return 'score out of range';
  // An answer with no identifier is anonymous, not broken (DATA.md v2).
  return null;
}

const normalise = (type: string, value: string): string =>
  type === 'phone' ? value.replace(/\D/g, '') : type === 'email' ? value.trim().toLowerCase() : value.trim();

interface Dataset {
  result: DemoResult;
  planted: Planted;
  interactions: Row[];
  interactionWidths: number[];
  feedback: Record<string, unknown>[];
  tables: Record<'profiles' | 'holdings' | 'promises' | 'consents', { header: string[]; rows: Row[]; widths: number[] }>;
  identity: Row[];
  /** `kind:record_id` → person. */
  personOf: Map<string, string>;
}

let dir = '';
let data: Dataset;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'throughline-demo-'));
  const result = await writeDemo(join(dir, 'a'), createTestOptions());
  const inter = await readTable(result.files.interactions?.path ?? '');
  const tables = {
    profiles: await readTable(join(dir, 'a', 'profiles.csv')),
    holdings: await readTable(join(dir, 'a', 'holdings.csv')),
    promises: await readTable(join(dir, 'a', 'promises.csv')),
    consents: await readTable(join(dir, 'a', 'consents.csv')),
  };
  const identity = (await readTable(join(dir, 'a', 'truth_identity.csv'))).rows;
  data = {
    result,
    planted: JSON.parse(await readFile(join(dir, 'a', 'truth.json'), 'utf8')) as Planted,
    interactions: inter.rows,
    interactionWidths: inter.widths,
    feedback: await readJsonl(join(dir, 'a', 'feedback.jsonl')),
    tables,
    identity,
    personOf: new Map(identity.map((r) => [`${r.kind}:${r.record_id}`, r.person_id ?? ''])),
  };
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface TimedEvent {
  t: number;
  channel: string;
  activity: string;
  outcome: string;
  direction: string;
  agent_id: string;
  wait_s: string;
}

/** Each person's unique inbound and outbound interactions, in time order. */
function eventsByPerson(): Map<string, TimedEvent[]> {
  const seen = new Set<string>();
  const byPerson = new Map<string, TimedEvent[]>();
  for (const r of data.interactions) {
    if (seen.has(r.event_id ?? '')) continue;
    seen.add(r.event_id ?? '');
    const person = data.personOf.get(`interactions:${r.event_id}`) ?? '';
    let list = byPerson.get(person);
    if (list === undefined) byPerson.set(person, (list = []));
    list.push({
      t: parseTs(r.ts) ?? 0,
      channel: r.channel ?? '',
      activity: r.activity ?? '',
      outcome: r.outcome ?? '',
      direction: r.direction ?? '',
      agent_id: r.agent_id ?? '',
      wait_s: r.wait_s ?? '',
    });
  }
  for (const list of byPerson.values()) list.sort((a, b) => a.t - b.t);
  return byPerson;
}

describe('writeDemo', () => {
  test('the same options give byte-identical files and another seed gives different ones', async () => {
    const again = await writeDemo(join(dir, 'b'), createTestOptions());
    const other = await writeDemo(join(dir, 'c'), createTestOptions({ seed: 8 }));
    const names = (await readdir(join(dir, 'a'))).sort();
    assert.deepEqual((await readdir(join(dir, 'b'))).sort(), names);
    for (const name of names) {
      const a = await readFile(join(dir, 'a', name));
      assert.ok(a.equals(await readFile(join(dir, 'b', name))), `${name} is identical`);
    }
    assert.deepEqual(again.planted, data.result.planted);
    const a = await readFile(join(dir, 'a', 'interactions.csv'));
    assert.ok(!a.equals(await readFile(join(dir, 'c', 'interactions.csv'))), 'another seed changes the interactions');
    assert.notDeepEqual(other.planted.churned, data.planted.churned);
  });

  test('it reports progress up to the total', async () => {
    const seen: number[] = [];
    await writeDemo(join(dir, 'progress'), createTestOptions({ customers: 40, days: 10 }), (done, total) => {
      assert.equal(total, 40);
      seen.push(done);
    });
    assert.equal(seen.at(-1), 40);
    assert.deepEqual(
      seen,
      [...seen].sort((x, y) => x - y),
    );
  });

  test('bad options are a usage error', async () => {
    for (const bad of [{ customers: 0 }, { days: 1.5 }, { seed: -1 }, { end: new Date('nope') }]) {
      await assert.rejects(writeDemo(join(dir, 'bad'), createTestOptions(bad)), (e: unknown) => isAppError(e) && e.code === 'usage');
    }
  });

  test('the result, truth.json and the files agree on record counts', async () => {
    const { result, planted } = data;
    assert.deepEqual(Object.keys(result.files).sort(), ['consents', 'employee_feedback', 'feedback', 'holdings', 'interactions', 'profiles', 'promises', 'staff']);
    assert.equal(result.files.interactions?.records, data.interactions.length);
    assert.equal(result.files.feedback?.records, data.feedback.length);
    for (const kind of ['profiles', 'holdings', 'promises', 'consents'] as const) {
      assert.equal(result.files[kind]?.records, data.tables[kind].rows.length, kind);
      assert.equal(planted.counts[kind], data.tables[kind].rows.length, kind);
    }
    assert.equal(planted.counts.interactions, data.interactions.length);
    assert.equal(planted.counts.interactions_unique + planted.duplicate_event_ids.length, data.interactions.length);
    assert.equal(data.tables.profiles.rows.length, SMALL.customers);
    const perPerson = planted.counts.interactions / SMALL.customers;
    assert.ok(perPerson > 12 && perPerson < 40, `${perPerson} interactions per customer over 60 days`);
  });

  test('every CSV row has as many cells as its header, and headers are the contract columns', async () => {
    assert.ok(data.interactionWidths.every((w) => w === 17));
    assert.deepEqual(data.tables.profiles.header, ['customer_id', 'account_id', 'phone', 'email', 'name', 'segment', 'timezone']);
    assert.deepEqual(data.tables.holdings.header, ['customer_id', 'account_id', 'product', 'since', 'until']);
    assert.deepEqual(data.tables.promises.header, ['promise_id', 'ts', 'due', 'kind', 'agent_id', 'event_id', 'description', 'kept_at', 'customer_id', 'account_id']);
    assert.deepEqual(data.tables.consents.header, ['customer_id', 'channel', 'status', 'ts', 'timezone', 'quiet_start', 'quiet_end']);
    for (const [kind, table] of Object.entries(data.tables)) {
      assert.ok(table.widths.every((w) => w === table.header.length), `${kind} rows match the header`);
    }
    // Quoting is exercised: some text holds commas, quotes and line breaks.
    assert.ok(data.interactions.some((r) => r.text?.includes('\n')));
    assert.ok(data.tables.profiles.rows.some((r) => r.name?.includes(',')));
  });

  test('every interaction is valid under the contract and inside the period', () => {
    const start = END.getTime() - SMALL.days * 86_400_000;
    const outcomes = new Set<string>(OUTCOMES);
    const styles = new Set<string>();
    for (const r of data.interactions) {
      assert.equal(interactionProblem(r), null, JSON.stringify(r));
      const t = parseTs(r.ts) as number;
      assert.ok(t >= start && t < END.getTime(), `${r.ts} is inside the period`);
      if (r.outcome !== '') assert.ok(outcomes.has(r.outcome ?? ''), r.outcome);
      assert.ok(['', 'inbound', 'outbound'].includes(r.direction ?? ''), r.direction);
      assert.ok(r.activity?.includes('/'), r.activity);
      styles.add(/^\d+$/.test(r.ts ?? '') ? 'epoch' : (r.ts ?? '').endsWith('Z') ? 'Z' : 'offset');
    }
    assert.deepEqual([...styles].sort(), ['Z', 'epoch', 'offset']);
    const ids = new Set(data.interactions.map((r) => r.event_id));
    assert.equal(ids.size, data.planted.counts.interactions_unique);
  });

  test('duplicates are exact re-exports placed later in the file', () => {
    const first = new Map<string, { index: number; line: string }>();
    const dupes = new Set<string>();
    data.interactions.forEach((r, index) => {
      const line = JSON.stringify(r);
      const seen = first.get(r.event_id ?? '');
      if (seen === undefined) first.set(r.event_id ?? '', { index, line });
      else {
        assert.equal(line, seen.line, `${r.event_id} is re-exported unchanged`);
        assert.ok(index > seen.index);
        dupes.add(r.event_id ?? '');
      }
    });
    assert.deepEqual([...dupes].sort(), [...data.planted.duplicate_event_ids].sort());
    assert.ok(dupes.size > 0);
  });

  test('every survey answer is valid and points at real interactions and agents', () => {
    const events = new Set(data.interactions.map((r) => r.event_id));
    const agents = new Set(data.planted.agents.map((a) => a.agent_id));
    const surveys = new Set<string>();
    for (const f of data.feedback) {
      assert.equal(feedbackProblem(f), null, JSON.stringify(f));
      assert.ok(Number.isInteger(f.score));
      if (f.event_id !== undefined) assert.ok(events.has(f.event_id as string), `${String(f.event_id)} exists`);
      if (f.agent_id !== undefined) assert.ok(agents.has(f.agent_id as string));
      for (const [k, v] of Object.entries(f)) assert.notEqual(v, '', `${k} is omitted rather than empty`);
      surveys.add(`${String(f.survey_id)}:${String(f.metric)}:${String(f.scope)}`);
    }
    assert.deepEqual([...surveys].sort(), [
      'digital_ces:ces:transaction',
      'post_call_csat:csat:transaction',
      'post_chat_csat:csat:transaction',
      'post_store_csat:csat:transaction',
      'rel_nps_q:nps:relationship',
      'sms_pulse_csat:csat:transaction',
    ]);
    const npsCustomers = new Set(data.feedback.filter((f) => f.metric === 'nps').map((f) => data.personOf.get(`feedback:${String(f.response_id)}`)));
    const share = npsCustomers.size / SMALL.customers;
    assert.ok(share > 0.3 && share < 0.5, `${share} of customers answer the relationship survey`);
  });

  test('promises, holdings and consents hold valid required fields', () => {
    const events = new Set(data.interactions.map((r) => r.event_id));
    for (const p of data.tables.promises.rows) {
      assert.ok(p.promise_id !== '' && parseTs(p.ts) !== null && parseTs(p.due) !== null, JSON.stringify(p));
      assert.ok(['callback', 'credit', 'refund', 'repair', 'delivery'].includes(p.kind ?? ''));
      assert.ok(events.has(p.event_id), 'a promise points at the contact where it was made');
      if (p.kept_at !== '') assert.ok((parseTs(p.kept_at) as number) <= (parseTs(p.due) as number), 'kept promises are kept in time');
      assert.ok(hasIdentifier(p));
    }
    for (const h of data.tables.holdings.rows) {
      assert.ok(['mobile_plan', 'home_internet', 'credit_card', 'device_protection', 'tv'].includes(h.product ?? ''));
      assert.ok(parseTs(h.since) !== null && (h.until === '' || parseTs(h.until) !== null));
      assert.ok(hasIdentifier(h));
    }
    for (const c of data.tables.consents.rows) {
      assert.ok(['email', 'sms'].includes(c.channel ?? '') && ['grant', 'deny'].includes(c.status ?? ''));
      assert.ok(parseTs(c.ts) !== null && (c.timezone ?? '').includes('/'));
      assert.ok(c.quiet_start === '' || /^\d{2}:\d{2}$/.test(c.quiet_start ?? ''));
    }
    const byKind = new Map(data.planted.promises.map((p) => [p.kind, p]));
    assert.ok((byKind.get('credit')?.broken ?? 0) > 0 && data.planted.promises.some((p) => p.open > 0));
  });

  test('planted broken steps fail far more often than the decoys', () => {
    const stats = new Map<string, { n: number; failed: number; failedNotTransfer: number }>();
    const seen = new Set<string>();
    for (const r of data.interactions) {
      if (seen.has(r.event_id ?? '') || r.direction === 'outbound') continue;
      seen.add(r.event_id ?? '');
      const key = `${r.channel}:${r.activity}`;
      const s = stats.get(key) ?? { n: 0, failed: 0, failedNotTransfer: 0 };
      s.n++;
      if (FAILED_OUTCOMES.has(r.outcome ?? '')) s.failed++;
      if (r.outcome === 'failure' || r.outcome === 'abandoned') s.failedNotTransfer++;
      stats.set(key, s);
    }
    const rate = (channel: string, activity: string): { all: number; real: number; n: number } => {
      const s = stats.get(`${channel}:${activity}`);
      assert.ok(s !== undefined && s.n >= 30, `${channel}:${activity} has enough events`);
      return { all: s.failed / s.n, real: s.failedNotTransfer / s.n, n: s.n };
    };
    const { broken_steps: broken, decoy_steps: decoys } = data.planted;
    assert.ok(broken.length >= 2 && broken.length <= 3);
    const worstDecoy = Math.max(...decoys.map((d) => rate(d.channel, d.activity).real));
    for (const b of broken) {
      const r = rate(b.channel, b.activity);
      assert.ok(r.real > 0.18, `${b.activity} fails ${r.real}`);
      assert.ok(r.real > 3 * worstDecoy, `${b.activity} ${r.real} against decoys ${worstDecoy}`);
      assert.ok(Math.abs(r.all - b.failure_rate) < 0.12, `${b.activity} is near its planted rate`);
    }
    // The web login is a decoy by volume: busier than any broken step, yet healthy.
    const login = rate('web', 'pay_bill/login');
    assert.ok(broken.every((b) => login.n > rate(b.channel, b.activity).n) && login.real < 0.08);
    // IVR menus transfer a third of callers by design.
    const menu = rate('ivr', 'pay_bill/ivr_menu');
    assert.ok(menu.all > 0.25 && menu.all < 0.5 && menu.real < 0.1, JSON.stringify(menu));
  });

  test('failures at broken steps push customers to assisted channels and lower relationship NPS', () => {
    const byPerson = eventsByPerson();
    const broken = new Set(data.planted.broken_steps.map((b) => `${b.channel}:${b.activity}`));
    const after = { failed: { n: 0, assisted: 0 }, succeeded: { n: 0, assisted: 0 } };
    for (const list of byPerson.values()) {
      list.forEach((e, i) => {
        if (!broken.has(`${e.channel}:${e.activity}`)) return;
        const next = list.slice(i + 1).find((x) => x.direction !== 'outbound');
        const assisted = next !== undefined && next.t - e.t < 6 * 3_600_000 && ['ivr', 'call', 'chat', 'store'].includes(next.channel ?? '');
        const bucket = FAILED_OUTCOMES.has(e.outcome ?? '') ? after.failed : after.succeeded;
        bucket.n++;
        if (assisted) bucket.assisted++;
      });
    }
    const switchAfterFailure = after.failed.assisted / after.failed.n;
    const switchAfterSuccess = after.succeeded.assisted / after.succeeded.n;
    assert.ok(switchAfterFailure > 0.4 && switchAfterFailure > 4 * switchAfterSuccess, `${switchAfterFailure} vs ${switchAfterSuccess}`);

    const exposed = { n: 0, detractors: 0 };
    const unexposed = { n: 0, detractors: 0 };
    for (const f of data.feedback) {
      if (f.metric !== 'nps') continue;
      const t = parseTs(f.ts) as number;
      const person = data.personOf.get(`feedback:${String(f.response_id)}`) ?? '';
      const hit = (byPerson.get(person) ?? []).some((e) => e.t < t && broken.has(`${e.channel}:${e.activity}`) && FAILED_OUTCOMES.has(e.outcome ?? ''));
      const group = hit ? exposed : unexposed;
      group.n++;
      if ((f.score as number) <= 6) group.detractors++;
    }
    const exposedRate = exposed.detractors / exposed.n;
    const unexposedRate = unexposed.detractors / unexposed.n;
    assert.ok(exposed.n >= 10, `${exposed.n} exposed answers`);
    assert.ok(exposedRate > unexposedRate + 0.2, `detractors ${exposedRate} exposed vs ${unexposedRate}`);
  });

  test('skilled agents receive more escalation contacts and rude staff get low CSAT', () => {
    const byPerson = eventsByPerson();
    const contacts = new Map<string, { n: number; escalated: number }>();
    for (const list of byPerson.values()) {
      list.forEach((e, i) => {
        // A contact is the first event of an assisted visit: the one with a wait time.
        if (e.agent_id === '' || e.wait_s === '' || e.channel === 'store') return;
        const inherited = list.slice(0, i).some((x) => x.direction !== 'outbound' && e.t - x.t < 3 * 86_400_000 && FAILED_OUTCOMES.has(x.outcome ?? ''));
        const s = contacts.get(e.agent_id ?? '') ?? { n: 0, escalated: 0 };
        s.n++;
        if (inherited) s.escalated++;
        contacts.set(e.agent_id ?? '', s);
      });
    }
    const agents = data.planted.agents.filter((a) => a.kind === 'agent');
    const share = (ids: readonly string[]): number => {
      let n = 0;
      let e = 0;
      for (const id of ids) {
        n += contacts.get(id)?.n ?? 0;
        e += contacts.get(id)?.escalated ?? 0;
      }
      return e / n;
    };
    const seniors = agents.filter((a) => a.escalation).map((a) => a.agent_id);
    const others = agents.filter((a) => !a.escalation).map((a) => a.agent_id);
    assert.deepEqual(seniors, [...data.planted.escalation_agents]);
    assert.ok(share(seniors) > 2 * share(others), `escalation share ${share(seniors)} vs ${share(others)}`);
    for (const team of ['billing', 'tech', 'retention']) {
      const members = agents.filter((a) => a.team === team);
      const bestSkill = Math.max(...members.filter((a) => !a.escalation).map((a) => a.skill));
      assert.ok(members.filter((a) => a.escalation).every((a) => a.skill > bestSkill), `${team} seniors are its most skilled`);
    }

    const csat = (ids: readonly string[]): number => {
      const scores = data.feedback.filter((f) => f.metric === 'csat' && ids.includes(f.agent_id as string)).map((f) => f.score as number);
      return scores.reduce((a, b) => a + b, 0) / scores.length;
    };
    const staff = data.planted.agents.filter((a) => a.kind === 'store');
    assert.deepEqual([...data.planted.rude_staff], ['ST-04', 'ST-07']);
    assert.ok(csat(data.planted.rude_staff) < csat(staff.filter((a) => !a.rude).map((a) => a.agent_id)) - 1);
    // Raw CSAT hides the seniors' skill: they score no better than the rest despite being the best.
    assert.ok(csat(seniors) < csat(others) + 0.1, `raw CSAT ${csat(seniors)} vs ${csat(others)}`);
  });

  test('truth_identity covers every record exactly once', () => {
    const keys = data.identity.map((r) => `${r.kind}:${r.record_id}`);
    assert.equal(new Set(keys).size, keys.length);
    const expected = new Set<string>();
    for (const r of data.interactions) expected.add(`interactions:${r.event_id}`);
    for (const f of data.feedback) expected.add(`feedback:${String(f.response_id)}`);
    for (const p of data.tables.promises.rows) expected.add(`promises:${p.promise_id}`);
    for (const kind of ['profiles', 'holdings', 'consents'] as const) data.tables[kind].rows.forEach((_, i) => expected.add(`${kind}:row:${i + 1}`));
    assert.deepEqual(new Set(keys), expected);
    const persons = new Set(data.tables.profiles.rows.map((r) => r.customer_id));
    for (const r of data.identity) {
      assert.ok(persons.has(r.person_id), r.person_id);
      assert.ok(r.linkable === '0' || r.linkable === '1');
    }
    // Profiles name their own person.
    data.tables.profiles.rows.forEach((r, i) => assert.equal(data.personOf.get(`profiles:row:${i + 1}`), r.customer_id));
    const unlinkable = data.identity.filter((r) => r.linkable === '0').length;
    assert.equal(unlinkable, Object.values(data.planted.identity.unlinkable_records).reduce((a, b) => a + b, 0));
    assert.ok(unlinkable > 0);
  });

  test('a reference stitcher following the contract links exactly the records marked linkable, to the right person', () => {
    // Known shared values are never evidence (DATA.md names them); everything else is found from the data.
    const denied = new Set(['phone:0000000000', 'email:none@none.com', 'email:noemail@example.com']);
    interface Rec {
      key: string;
      strong: string[];
      weak: string[];
    }
    const recs: Rec[] = [];
    const ids = (r: Record<string, unknown>): { strong: string[]; weak: string[] } => {
      const strong: string[] = [];
      const weak: string[] = [];
      for (const type of IDENTIFIERS) {
        const v = r[type];
        if (typeof v !== 'string' || v.trim() === '') continue;
        const id = `${type}:${normalise(type, v)}`;
        if (type === 'customer_id' || type === 'account_id') strong.push(id);
        else if (!denied.has(id)) weak.push(id);
      }
      return { strong, weak };
    };
    const seen = new Set<string>();
    for (const r of data.interactions) {
      if (seen.has(r.event_id ?? '')) continue;
      seen.add(r.event_id ?? '');
      recs.push({ key: `interactions:${r.event_id}`, ...ids(r) });
    }
    for (const f of data.feedback) recs.push({ key: `feedback:${String(f.response_id)}`, ...ids(f) });
    for (const p of data.tables.promises.rows) recs.push({ key: `promises:${p.promise_id}`, ...ids(p) });
    for (const kind of ['profiles', 'holdings', 'consents'] as const) data.tables[kind].rows.forEach((r, i) => recs.push({ key: `${kind}:row:${i + 1}`, ...ids(r) }));

    // Strong identifiers on one record are one customer.
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let root = x;
      while (parent.has(root) && parent.get(root) !== root) root = parent.get(root) as string;
      parent.set(x, root);
      return root;
    };
    for (const r of recs) for (const s of r.strong.slice(1)) parent.set(find(s), find(r.strong[0] as string));
    // A weak identifier seen with exactly one customer belongs to it; with several, it is shared.
    const owners = new Map<string, Set<string>>();
    for (const r of recs) {
      if (r.strong.length === 0) continue;
      const owner = find(r.strong[0] as string);
      for (const w of r.weak) owners.set(w, (owners.get(w) ?? new Set()).add(owner));
    }
    const anchor = new Map<string, string>();
    const shared = new Set<string>();
    for (const [w, set] of owners) if (set.size === 1) anchor.set(w, [...set][0] as string);
    else shared.add(w);
    for (let changed = true; changed; ) {
      changed = false;
      for (const r of recs) {
        if (r.strong.length > 0) continue;
        const usable = r.weak.filter((w) => !shared.has(w));
        const found = new Set(usable.filter((w) => anchor.has(w)).map((w) => anchor.get(w) as string));
        if (found.size !== 1) continue;
        const owner = [...found][0] as string;
        for (const w of usable) {
          if (!anchor.has(w)) {
            anchor.set(w, owner);
            changed = true;
          }
        }
      }
    }
    // Each customer cluster is named by the customer_id in it.
    const personOfCluster = new Map<string, string>();
    for (const r of recs) for (const s of r.strong) if (s.startsWith('customer_id:')) personOfCluster.set(find(s), s.slice('customer_id:'.length));
    const linkableOf = new Map(data.identity.map((r) => [`${r.kind}:${r.record_id}`, r.linkable]));
    for (const r of recs) {
      const cluster = r.strong.length > 0 ? find(r.strong[0] as string) : r.weak.filter((w) => !shared.has(w)).map((w) => anchor.get(w)).find((x) => x !== undefined);
      assert.equal(cluster === undefined ? '0' : '1', linkableOf.get(r.key), `${r.key} linkable`);
      if (cluster !== undefined) assert.equal(personOfCluster.get(cluster), data.personOf.get(r.key), `${r.key} links to its person`);
    }
    assert.equal(recs.length, data.identity.length);
  });

  test('households, blocked callers, placeholders and anonymous cookies are recorded', () => {
    const id = data.planted.identity;
    const profiles = new Map(data.tables.profiles.rows.map((r) => [r.customer_id, r]));
    for (const [a, b] of id.households) {
      const pa = profiles.get(a);
      const pb = profiles.get(b);
      assert.ok(pa !== undefined && pb !== undefined);
      assert.equal(normalise('phone', pa.phone ?? ''), normalise('phone', pb.phone ?? ''), `${a} and ${b} share a phone`);
    }
    assert.ok(id.households.length > 0, 'the small demo still has households');
    assert.ok(data.interactions.some((r) => r.phone === '0000000000' && r.channel === 'ivr'));
    assert.ok(data.tables.profiles.rows.some((r) => r.email === 'none@none.com'));
    assert.ok(data.interactions.some((r) => r.email === 'noemail@example.com' && r.channel === 'store'));
    assert.ok(id.anonymous_cookies.logged_in > id.anonymous_cookies.never && id.anonymous_cookies.never > 0);
    // A person's phone is written in several formats that all normalise to one value.
    assert.ok(data.interactions.some((r) => /^\(\d{3}\) \d{3}-\d{4}$/.test(r.phone ?? '')));
    assert.ok(data.interactions.some((r) => /^\+1[ -]/.test(r.phone ?? '')));
    assert.ok(data.interactions.some((r) => r.email !== '' && r.email !== r.email?.trim().toLowerCase()));
  });

  test('churned customers cancel, lose their holdings and go quiet', () => {
    const byPerson = eventsByPerson();
    const { churned } = data.planted;
    assert.ok(churned.length > 0);
    const holdingsOf = new Map<string, Row[]>();
    data.tables.holdings.rows.forEach((h, i) => {
      const person = data.personOf.get(`holdings:row:${i + 1}`) ?? '';
      holdingsOf.set(person, [...(holdingsOf.get(person) ?? []), h]);
    });
    for (const c of churned) {
      const at = Date.parse(c.at);
      const events = byPerson.get(c.customer_id) ?? [];
      assert.ok(events.some((e) => e.activity === 'cancel/close_account' && Math.abs(e.t - at) < 1000), `${c.customer_id} closes the account`);
      assert.ok(!events.some((e) => e.direction !== 'outbound' && e.t > at + 1000 && !e.activity?.startsWith('cancel/')), `${c.customer_id} goes quiet`);
      assert.ok((holdingsOf.get(c.customer_id) ?? []).every((h) => h.until !== '' && Math.abs((parseTs(h.until) as number) - at) < 1000));
    }
    const churnedIds = new Set(churned.map((c) => c.customer_id));
    for (const [person, events] of byPerson) {
      if (!churnedIds.has(person)) assert.ok(!events.some((e) => e.activity?.startsWith('cancel/')), `${person} did not cancel`);
    }
  });

  test('hidden-at-risk customers rate contacts 4–5 but are relationship detractors', () => {
    const scores = new Map<string, { csat: number[]; nps: number[] }>();
    for (const f of data.feedback) {
      const person = data.personOf.get(`feedback:${String(f.response_id)}`) ?? '';
      const s = scores.get(person) ?? { csat: [], nps: [] };
      if (f.metric === 'csat') s.csat.push(f.score as number);
      if (f.metric === 'nps') s.nps.push(f.score as number);
      scores.set(person, s);
    }
    const expected = [...scores]
      .filter(([, s]) => s.csat.length > 0 && s.csat.every((x) => x >= 4) && s.nps.some((x) => x <= 6))
      .map(([p]) => p)
      .sort();
    assert.deepEqual([...data.planted.hidden_at_risk].sort(), expected);
    assert.ok(data.planted.hidden_at_risk_planted.length > 0);
    assert.ok(data.planted.hidden_at_risk_planted.every((p) => data.planted.hidden_at_risk.includes(p)));
  });

  test('the staff directory names every agent with a team, and the disengaged team answers the pulse survey worst', async () => {
    const staff = await readTable(data.result.files.staff?.path ?? '');
    assert.deepEqual(staff.header, ['employee_id', 'name', 'team', 'site', 'manager_id', 'role', 'since']);
    const teamOf = new Map(staff.rows.map((r) => [r.employee_id, r.team]));
    for (const a of data.planted.agents) assert.equal(teamOf.get(a.agent_id), a.team, a.agent_id);
    assert.equal(data.planted.counts.staff, staff.rows.length);
    const pulse = await readTable(data.result.files.employee_feedback?.path ?? '');
    assert.equal(data.planted.counts.employee_feedback, pulse.rows.length);
    const enps = new Map<string, number[]>();
    for (const r of pulse.rows.filter((x) => x.metric === 'enps')) enps.set(r.team ?? '', [...(enps.get(r.team ?? '') ?? []), Number(r.score)]);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const disengaged = data.planted.teams.disengaged_team;
    assert.ok(data.planted.rude_staff.every((id) => teamOf.get(id) === disengaged), 'the team of the rude employees');
    for (const [team, scores] of enps) {
      assert.ok(scores.length >= 5, `${team} has enough answers to be shown`);
      if (team !== disengaged) assert.ok(mean(scores) > mean(enps.get(disengaged)!) + 2, team);
    }
  });

  test('the plan-review SMS sent at the bad hour gets lower CSAT and more opt-outs than in the daytime', () => {
    const sms = data.planted.outbound_timing;
    const sent = data.interactions.filter((r) => r.activity === sms.activity && r.channel === 'sms' && r.direction === 'outbound');
    assert.equal(new Set(sent.map((r) => r.event_id)).size, sms.sent_bad_hour + sms.sent_daytime);
    assert.ok(sms.sent_bad_hour > 20, `${sms.sent_bad_hour} sent at the bad hour`);
    assert.ok(sms.csat_bad_hour.mean < sms.csat_daytime.mean - 1, JSON.stringify(sms));
    assert.ok(sms.opt_outs_bad_hour > sms.opt_outs_daytime);
    const ids = new Set(sent.map((r) => r.event_id));
    const pulse = data.feedback.filter((f) => f.survey_id === 'sms_pulse_csat');
    assert.equal(pulse.length, sms.csat_bad_hour.responses + sms.csat_daytime.responses);
    assert.ok(pulse.every((f) => ids.has(f.event_id as string)), 'each pulse answer is about one of the SMS');
  });

  test('describePlanted names what was planted', () => {
    const lines = describePlanted(data.planted);
    const text = lines.join('\n');
    assert.ok(lines.length >= 8);
    for (const b of data.planted.broken_steps) assert.ok(text.includes(b.activity));
    assert.ok(text.includes('ST-04') && text.includes('ST-07'));
    for (const id of data.planted.escalation_agents) assert.ok(text.includes(id));
    assert.ok(text.includes(`the ${data.planted.teams.disengaged_team} team is disengaged`));
    assert.ok(text.includes('marketing/plan_review SMS'));
  });
});

describe('writeBrokenSamples', () => {
  test('the expected rejects are exactly the invalid records, by the line they start on', async () => {
    const samples = await writeBrokenSamples(join(dir, 'broken'));

    const [head, ...records] = parseCsv(await readFile(samples.interactions.path, 'utf8'));
    assert.ok(head !== undefined);
    const rejected: number[] = [];
    let valid = 0;
    for (const rec of records) {
      const row = Object.fromEntries(head.cells.map((h, i) => [h, rec.cells[i] ?? '']));
      const bad = rec.cells.length !== head.cells.length || interactionProblem(row) !== null;
      if (bad) rejected.push(rec.line);
      else valid++;
    }
    assert.deepEqual(rejected, samples.interactions.rejected.map((r) => r.line));
    assert.equal(valid, samples.interactions.valid);
    assert.ok(records.some((r) => r.cells.some((c) => c.includes('\n'))), 'a valid record spans two lines');
    assert.ok(records.some((r) => r.cells[4] === 'unknown'), 'an unknown outcome is kept, not rejected');

    const lines = (await readFile(samples.feedback.path, 'utf8')).split('\n').filter((l) => l !== '');
    const jsonRejected: number[] = [];
    let jsonValid = 0;
    lines.forEach((l, i) => {
      let value: Record<string, unknown> | null = null;
      try {
        value = JSON.parse(l) as Record<string, unknown>;
      } catch {
        value = null;
      }
      if (value === null || feedbackProblem(value) !== null) jsonRejected.push(i + 1);
      else jsonValid++;
    });
    assert.deepEqual(jsonRejected, samples.feedback.rejected.map((r) => r.line));
    assert.equal(jsonValid, samples.feedback.valid);
    for (const reason of ['score out of range', 'unknown metric', 'not JSON']) {
      assert.ok(samples.feedback.rejected.some((r) => r.reason.startsWith(reason)), reason);
    }
    for (const reason of ['missing event_id', 'unparseable ts', 'no identifier', 'wrong number of cells']) {
      assert.ok(samples.interactions.rejected.some((r) => r.reason.startsWith(reason)), reason);
    }
  });
});
