/**
 * Process-mining logs from ../shared/data/logs, imported as a user would, checked against
 * published facts and against an independent in-test reference of what pm4py computes:
 * `discover_dfg` (directly-follows counts, start and end activities) and `get_variants`, with
 * events of a case stably sorted by timestamp so that ties keep file order. pm4py itself is not
 * installable here, so the reference is a plain reading of each file with its own small parsers.
 * Every log is checked on a DuckDB file and, where a server answers, on a PostgreSQL database.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { exportEvents } from '../../src/ingest/export.ts';
import { importFiles } from '../../src/ingest/import.ts';
import type { ImportOptions } from '../../src/ingest/import.ts';
import { journeyMap } from '../../src/journey/map.ts';
import { journeyVariants } from '../../src/journey/variants.ts';
import { openStore } from '../../src/store/open.ts';
import { storeTargets } from '../support/store-targets.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const logsDir = path.resolve(repoRoot, '..', 'shared', 'data', 'logs');
const absent = fs.existsSync(logsDir) ? null : `the public logs are not here (${logsDir} is absent), so the process-log checks are skipped`;

interface RefEvent {
  readonly activity: string;
  readonly ts: number;
}

/** What pm4py reports for a log. */
interface Reference {
  cases: number;
  events: number;
  nodes: Record<string, number>;
  edges: Record<string, number>;
  start: Record<string, number>;
  end: Record<string, number>;
  variants: Record<string, number>;
  /** Seconds between each pair of directly-following events, by edge (pm4py's performance DFG). */
  edgeSeconds: Record<string, number[]>;
  /** Each case's duration (last event minus first) in seconds, by variant. */
  variantSeconds: Record<string, number[]>;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** numpy's median: the middle value, or the mean of the two middle ones. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const inc = (o: Record<string, number>, k: string): void => {
  o[k] = (o[k] ?? 0) + 1;
};

function reference(cases: ReadonlyMap<string, RefEvent[]>): Reference {
  const ref: Reference = { cases: cases.size, events: 0, nodes: {}, edges: {}, start: {}, end: {}, variants: {}, edgeSeconds: {}, variantSeconds: {} };
  const push = (o: Record<string, number[]>, k: string, v: number): void => {
    (o[k] ??= []).push(v);
  };
  for (const events of cases.values()) {
    // Array.prototype.sort is stable: equal timestamps keep file order, as pm4py's sort does.
    const sorted = [...events].sort((a, b) => a.ts - b.ts);
    const trace = sorted.map((e) => e.activity);
    ref.events += trace.length;
    trace.forEach((a, i) => {
      inc(ref.nodes, a);
      if (i > 0) {
        inc(ref.edges, `${trace[i - 1]} -> ${a}`);
        push(ref.edgeSeconds, `${trace[i - 1]} -> ${a}`, (sorted[i]!.ts - sorted[i - 1]!.ts) / 1000);
      }
    });
    inc(ref.start, trace[0]!);
    inc(ref.end, trace[trace.length - 1]!);
    inc(ref.variants, trace.join(' | '));
    push(ref.variantSeconds, trace.join(' | '), (sorted[sorted.length - 1]!.ts - sorted[0]!.ts) / 1000);
  }
  return ref;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? m),
  );
}

/** Traces of an XES file: the trace's concept:name, and each event's concept:name and time:timestamp. */
function readXes(file: string): Map<string, RefEvent[]> {
  const raw = fs.readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const cases = new Map<string, RefEvent[]>();
  const attr = /<(string|date)\s+key\s*=\s*["']([^"']*)["']\s+value\s*=\s*(?:"([^"]*)"|'([^']*)')\s*\/>/g;
  for (const tm of text.matchAll(/<trace>([\s\S]*?)<\/trace>/g)) {
    const body = tm[1]!;
    const firstEvent = body.indexOf('<event');
    let caseId = '';
    for (const a of body.slice(0, firstEvent < 0 ? body.length : firstEvent).matchAll(attr)) {
      if (a[2] === 'concept:name') caseId = unescapeXml(a[3] ?? a[4] ?? '');
    }
    const events = cases.get(caseId) ?? [];
    for (const em of body.matchAll(/<event>([\s\S]*?)<\/event>/g)) {
      let activity = '';
      let ts = NaN;
      for (const a of em[1]!.matchAll(attr)) {
        const v = unescapeXml(a[3] ?? a[4] ?? '');
        if (a[2] === 'concept:name') activity = v;
        else if (a[2] === 'time:timestamp') ts = Date.parse(v);
      }
      events.push({ activity, ts });
    }
    cases.set(caseId, events);
  }
  return cases;
}

/** RFC 4180 rows of a delimited text (quotes, doubled quotes, line breaks inside quotes). */
function parseDelimited(text: string, sep: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

/** The zone's offset from UTC at an instant, in ms (`GMT+02:00` → 7,200,000). */
function zoneOffset(ms: number, zone: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')!.value;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

/**
 * `2011-10-11 13:45:40.276000+02:00`, `2013-02-13 12:03:35` or `2016-01-12` → epoch ms; a time
 * without an offset is in `zone` (UTC by default), as the import is told with --timezone.
 */
function csvTime(s: string, zone = 'UTC'): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (m === null) return NaN;
  const ms = ((m[3] ?? '') + '000').slice(0, 3);
  const local = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}.${ms}${m[4] ?? 'Z'}`);
  if (m[4] !== undefined) return local;
  return local - zoneOffset(local - zoneOffset(local, zone), zone);
}

function readCsv(file: string, o: { sep: string; encoding: BufferEncoding; caseCol: string; activityCol: string; tsCol: string; zone?: string }): Map<string, RefEvent[]> {
  const [header, ...rows] = parseDelimited(fs.readFileSync(file).toString(o.encoding), o.sep);
  const col = (name: string): number => {
    const i = header!.indexOf(name);
    assert.ok(i >= 0, `${path.basename(file)} has a ${name} column`);
    return i;
  };
  const [c, a, t] = [col(o.caseCol), col(o.activityCol), col(o.tsCol)];
  const cases = new Map<string, RefEvent[]>();
  for (const r of rows) {
    const events = cases.get(r[c]!) ?? [];
    events.push({ activity: r[a]!, ts: csvTime(r[t]!, o.zone) });
    cases.set(r[c]!, events);
  }
  return cases;
}

interface LogCase {
  file: string;
  options: ImportOptions;
  read: (file: string) => Map<string, RefEvent[]>;
  /** Published figures (shared/data/README.md). */
  facts: { cases: number; events: number; edges?: number; variants?: number; start?: Record<string, number>; end?: Record<string, number> };
}

const pairs = (spec: string): Map<string, string> => new Map(spec.split(',').map((p) => p.split('=') as [string, string]));

const LOGS: readonly LogCase[] = [
  {
    file: 'running-example.xes',
    options: {},
    read: readXes,
    facts: { cases: 6, events: 42, edges: 16, variants: 6, start: { 'register request': 6 }, end: { 'pay compensation': 3, 'reject request': 3 } },
  },
  {
    file: 'receipt.csv',
    options: { map: pairs('journey_id=case:concept:name,activity=concept:name,ts=time:timestamp,agent_id=org:resource,channel=case:channel') },
    read: (f) => readCsv(f, { sep: ',', encoding: 'utf8', caseCol: 'case:concept:name', activityCol: 'concept:name', tsCol: 'time:timestamp' }),
    facts: { cases: 1434, events: 8577, edges: 99, variants: 116 },
  },
  { file: 'helpdesk.xes.gz', options: {}, read: readXes, facts: { cases: 4580, events: 21_348 } },
  { file: 'bpic2012.xes.gz', options: {}, read: readXes, facts: { cases: 13_087, events: 262_200 } },
  {
    file: 'bpic2014_incidents.csv',
    options: { map: pairs('journey_id=incident_id,activity=incident_activity_type,ts=data_stamp'), timezone: 'UTC', constants: pairs('channel=other') },
    read: (f) => readCsv(f, { sep: ',', encoding: 'utf8', caseCol: 'incident_id', activityCol: 'incident_activity_type', tsCol: 'data_stamp' }),
    facts: { cases: 4000, events: 39_911 },
  },
  {
    // One journey per customer: their complaints in date order. The separator is detected; the
    // encoding is named, as a file is only read as Latin-1 when it is (DATA.md, Encoding).
    file: 'bpi2016_complaints.csv',
    options: {
      encoding: 'latin1',
      map: pairs('event_id=ComplaintID,customer_id=CustomerID,journey_id=CustomerID,activity=ComplaintTopic_EN,ts=ContactDate,channel=ContactChannelID'),
      timezone: 'Europe/Amsterdam',
    },
    read: (f) => readCsv(f, { sep: ';', encoding: 'latin1', caseCol: 'CustomerID', activityCol: 'ComplaintTopic_EN', tsCol: 'ContactDate', zone: 'Europe/Amsterdam' }),
    facts: { cases: 226, events: 289 },
  },
];

const byName = (o: Record<string, number>): [string, number][] => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

// Each log is checked on both stores (issue 8): the same reference, the same figures.
for (const log of LOGS) {
  const file = path.join(logsDir, log.file);
  for (const target of storeTargets()) {
    const skip = absent ?? (fs.existsSync(file) ? undefined : `${log.file} is not in ${logsDir}`) ?? target.skip ?? undefined;
    test(`the map and variants of ${log.file} equal pm4py's DFG, start and end activities and variants (${target.name})`, { skip }, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'throughline-logs-'));
      const store = await openStore(await target.freshLocation('logs'));
      try {
        const summary = await importFiles(store, [file], { ...log.options, rejectsPath: path.join(dir, 'rejects.jsonl') });
        assert.equal(summary.rejected, 0, 'every event imports');
        const map = await journeyMap(store, { by: 'activity' });
        const variants = await journeyVariants(store, { by: 'activity' });
        const ref = reference(log.read(file));

        const { facts } = log;
        assert.equal(summary.imported.interactions, facts.events);
        assert.equal(summary.journeys, facts.cases);
        assert.equal(map.journeys, facts.cases);
        assert.equal(ref.cases, facts.cases, 'the reference reads the published number of cases');
        assert.equal(ref.events, facts.events, 'the reference reads the published number of events');
        if (facts.edges !== undefined) assert.equal(map.edges.length, facts.edges);
        if (facts.variants !== undefined) assert.equal(variants.distinct_variants, facts.variants);
        if (facts.start !== undefined) assert.deepEqual(map.start, facts.start);
        if (facts.end !== undefined) assert.deepEqual(map.end, facts.end);

        assert.deepEqual(byName(Object.fromEntries(map.nodes.map((n) => [n.id, n.count]))), byName(ref.nodes));
        assert.deepEqual(byName(Object.fromEntries(map.edges.map((e) => [`${e.from} -> ${e.to}`, e.count]))), byName(ref.edges));
        assert.deepEqual(byName(map.start), byName(ref.start));
        assert.deepEqual(byName(map.end), byName(ref.end));
        assert.equal(variants.journeys, facts.cases);
        assert.deepEqual(byName(Object.fromEntries(variants.variants.map((v) => [v.sequence.join(' | '), v.count]))), byName(ref.variants));

        // Durations as pm4py's performance DFG and case durations give them (mean and median), to
        // the millisecond the store keeps.
        const near = (actual: number | null, expected: number, what: string): void =>
          assert.ok(actual !== null && Math.abs(actual - expected) <= 0.002 + 1e-9 * Math.abs(expected), `${what}: ${actual} against ${expected}`);
        for (const e of map.edges) {
          const xs = ref.edgeSeconds[`${e.from} -> ${e.to}`]!;
          near(e.mean_seconds, mean(xs), `mean of ${e.from} -> ${e.to}`);
          near(e.median_seconds, median(xs), `median of ${e.from} -> ${e.to}`);
        }
        for (const v of variants.variants) {
          const xs = ref.variantSeconds[v.sequence.join(' | ')]!;
          near(v.mean_seconds, mean(xs), `mean duration of variant ${v.sequence.join(' | ')}`);
          near(v.median_seconds, median(xs), `median duration of variant ${v.sequence.join(' | ')}`);
        }
        // A log whose channel says nothing (XES without a channel attribute, --set channel=other)
        // is mapped by activity when no view is asked for.
        if (!(log.options.map?.has('channel') ?? false)) assert.equal((await journeyMap(store)).by, 'activity');

        const all = Object.values(ref.variantSeconds).flat();
        near(variants.case_duration.mean_seconds, mean(all), 'mean case duration');
        near(variants.case_duration.median_seconds, median(all), 'median case duration');
      } finally {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
}

// What Throughline imports it can export: an XES export of a stored log, imported again into a
// fresh store, gives the same DFG, start and end activities and variants.
for (const name of ['running-example.xes', 'receipt.csv', 'bpic2014_incidents.csv']) {
  const log = LOGS.find((l) => l.file === name)!;
  const file = path.join(logsDir, name);
  const skip = absent ?? (fs.existsSync(file) ? undefined : `${name} is not in ${logsDir}`);
  test(`an XES export of ${name} imports again to the same map and variants`, { skip }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'throughline-xes-'));
    const first = await openStore(path.join(dir, 'first.duckdb'));
    const second = await openStore(path.join(dir, 'second.duckdb'));
    try {
      await importFiles(first, [file], { ...log.options, rejectsPath: path.join(dir, 'rejects.jsonl') });
      const xes = path.join(dir, 'export.xes');
      const out = fs.createWriteStream(xes);
      const n = await exportEvents(first, 'xes', out);
      await new Promise<void>((resolve) => out.end(resolve));
      assert.equal(n, log.facts.events);
      const again = await importFiles(second, [xes], { rejectsPath: path.join(dir, 'rejects2.jsonl') });
      assert.equal(again.rejected, 0);
      assert.equal(again.journeys, log.facts.cases);
      const [m1, m2] = [await journeyMap(first, { by: 'activity' }), await journeyMap(second, { by: 'activity' })];
      assert.deepEqual(m2.edges.map((e) => [e.from, e.to, e.count]), m1.edges.map((e) => [e.from, e.to, e.count]));
      assert.deepEqual([m2.start, m2.end], [m1.start, m1.end]);
      const [v1, v2] = [await journeyVariants(first, { by: 'activity' }), await journeyVariants(second, { by: 'activity' })];
      assert.deepEqual(v2.variants.map((v) => [v.sequence, v.count]), v1.variants.map((v) => [v.sequence, v.count]));
    } finally {
      await first.close();
      await second.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

