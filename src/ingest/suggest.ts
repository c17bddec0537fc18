/**
 * Import that meets logs as they are (issue 22, item 11): recognises the column names of the
 * usual process-mining exports and proposes the `--map`/`--set` an import would need
 * (`throughline import --suggest FILE`), and checks a file against its mapping before any row
 * is read, so a missing required column or time zone is one file-level message rather than a
 * reject per row.
 *
 * Recognised names (compared without case, spaces, `_`, `-`, `.` or `:`):
 * - pm4py / XES in CSV: `case:concept:name`, `concept:name`, `time:timestamp`, `org:resource`;
 * - Disco and Celonis exports: "Case ID", "Activity", "Complete Timestamp", "Resource",
 *   `_CASE_KEY`, `ACTIVITY_EN`, `EVENTTIME`, `USER_NAME`.
 * "Start Timestamp" and `lifecycle:transition` stay attributes. Other names (BPIC 2014's
 * `incident_id`, `data_stamp`) are not guessed: the suggestion says what it still needs.
 */
import { AppError } from '../core/errors.ts';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Kind } from '../core/records.ts';
import { parseTimestamp } from '../core/time.ts';
import { detectKind } from './fields.ts';
import type { Format, Source } from './parsers/types.ts';

export interface Suggestion {
  kind: Kind;
  format: Format;
  /** Contract field → input column. */
  map: Record<string, string>;
  /** Contract field → constant. */
  set: Record<string, string>;
  /** What the user must still give, in words, each naming the option to use. */
  needs: string[];
}

const norm = (c: string): string => c.toLowerCase().replace(/[\s_\-.:]/g, '');

/** Per contract field, the normalised column names that mean it, most specific first. */
const KNOWN: readonly (readonly [string, readonly string[]])[] = [
  ['journey_id', ['caseconceptname', 'caseid', 'casekey', 'case', 'caseidentifier', 'traceid', 'traceconceptname']],
  ['activity', ['conceptname', 'activity', 'activityname', 'activityen', 'eventname', 'task', 'taskname']],
  ['ts', ['timetimestamp', 'completetimestamp', 'timestamp', 'eventtime', 'endtimestamp', 'completetime', 'endtime', 'eventtimestamp', 'datetime']],
  ['agent_id', ['orgresource', 'resource', 'username', 'user', 'performer', 'originator']],
];

const REQUIRED_HINT: Record<string, string> = {
  journey_id: 'the case id, e.g. case:concept:name or "Case ID"',
  activity: 'the activity, e.g. concept:name or "Activity"',
  ts: 'the time of each event, e.g. time:timestamp or "Complete Timestamp"',
};

/** How many rows `--suggest` and the file-level checks read. */
const SAMPLE_ROWS = 200;

async function sample(source: Source, n = SAMPLE_ROWS): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const item of source.items()) {
    if (item.ok) rows.push(item.row.fields);
    if (rows.length >= n) break;
  }
  return rows;
}

const text = (v: unknown): string | null => (v === undefined || v === null || String(v).trim() === '' ? null : String(v).trim());

/** The sampled values of a column that are not empty. */
const values = (rows: readonly Record<string, unknown>[], column: string): string[] => rows.map((r) => text(r[column])).filter((v): v is string => v !== null);

/** Whether timestamps that parse with a zone lack one: every sampled value fails without it and reads with UTC. */
function lacksOffset(vs: readonly string[]): boolean {
  return vs.length > 0 && vs.every((v) => !parseTimestamp(v).ok && parseTimestamp(v, 'UTC').ok);
}

/** Columns whose sampled values all read as timestamps (given a zone where they have none). */
function timestampColumns(header: readonly string[], rows: readonly Record<string, unknown>[]): string[] {
  return header.filter((c) => {
    const vs = values(rows, c);
    // Plain numbers would pass as epoch milliseconds; a log's time column is written as a date.
    return vs.length > 0 && vs.every((v) => /^\d{4}-\d{2}-\d{2}/.test(v) && parseTimestamp(v, 'UTC').ok);
  });
}

/**
 * The mapping Throughline would use for a file given what the user already says (`--map`,
 * `--set`, `--timezone`), and what it still needs.
 */
export async function suggestMapping(
  source: Source,
  given: { map?: ReadonlyMap<string, string>; constants?: ReadonlyMap<string, string>; timezone?: string; kind?: Kind } = {},
): Promise<Suggestion> {
  const map: Record<string, string> = Object.fromEntries(given.map ?? []);
  const set: Record<string, string> = Object.fromEntries(given.constants ?? []);
  if (source.format === 'xes') {
    // XES names its fields itself (docs/data.md); channel defaults to `other`.
    return { kind: 'interactions', format: 'xes', map, set, needs: [] };
  }
  const header = source.header ?? [];
  const rows = await sample(source);
  const used = new Set(Object.values(map));
  const has = (field: string): boolean => header.includes(field) || field in map || field in set;
  for (const [field, names] of KNOWN) {
    if (has(field)) continue;
    for (const name of names) {
      const column = header.find((c) => !used.has(c) && norm(c) === name);
      if (column !== undefined) {
        map[field] = column;
        used.add(column);
        break;
      }
    }
  }
  const mapped = [...header.filter((c) => !used.has(c)), ...Object.keys(map), ...Object.keys(set)];
  const processLog = 'journey_id' in map || header.includes('journey_id') || !IDENTIFIER_TYPES.some((t) => mapped.includes(t));
  const kind = given.kind ?? detectKind(mapped) ?? 'interactions';
  const needs: string[] = [];
  if (kind === 'interactions') {
    if (!mapped.includes('channel')) set.channel = 'other';
    const missing = ['journey_id', 'activity', 'ts'].filter((f) => !mapped.includes(f) && (f !== 'journey_id' || processLog));
    const times = timestampColumns(
      header.filter((c) => !used.has(c)),
      rows,
    );
    for (const f of missing) {
      const hint = f === 'ts' && times.length > 0 ? `; ${times.map((c) => `"${c}"`).join(', ')} ${times.length === 1 ? 'holds' : 'hold'} timestamps` : '';
      needs.push(`--map ${f}=COLUMN: no column has a usual name for ${REQUIRED_HINT[f]}${hint}`);
    }
    const tsColumn = map.ts ?? (header.includes('ts') ? 'ts' : times.length === 1 ? times[0] : undefined);
    if (given.timezone === undefined && tsColumn !== undefined && lacksOffset(values(rows, tsColumn))) {
      const example = values(rows, tsColumn)[0] ?? '';
      needs.push(`--timezone ZONE: the timestamps in "${tsColumn}" have no offset (e.g. "${example}"); name their zone, e.g. --timezone UTC or Europe/Amsterdam`);
    }
  }
  return { kind, format: source.format, map, set, needs };
}

/** `field=column,...` as `--map` and `--set` take it. */
export function pairsText(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A shell word: quoted when it holds anything a shell would read. */
const shellWord = (s: string): string => (/^[\w:=,./@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The suggestion in words, with the command line it proposes. */
export function describeSuggestion(file: string, s: Suggestion): string[] {
  const cmd = ['throughline', 'import', shellWord(file)];
  if (Object.keys(s.map).length > 0) cmd.push('--map', shellWord(pairsText(s.map)));
  if (Object.keys(s.set).length > 0) cmd.push('--set', shellWord(pairsText(s.set)));
  return [
    `${file}: ${s.kind} (${s.format}).`,
    ...Object.entries(s.map).map(([f, c]) => `  ${f.padEnd(10)} ← column "${c}"`),
    ...Object.entries(s.set).map(([f, v]) => `  ${f.padEnd(10)} = ${v} (for every record)`),
    s.needs.length === 0 ? 'Import it with:' : 'It still needs:',
    ...(s.needs.length === 0 ? [`  ${cmd.join(' ')}`] : s.needs.map((n) => `  ${n}`)),
    ...(s.needs.length === 0 ? [] : ['then:', `  ${cmd.join(' ')} ...`]),
  ];
}

/**
 * Checks a CSV or JSON Lines file of interactions against its mapping before any row is
 * imported: a required CSV column that neither the file, `--map` nor `--set` gives, or timestamps
 * without offset and no `--timezone`, stop the import with one message (exit 2) instead of a
 * reject for every row.
 */
export async function checkFileMapping(
  source: Source,
  kind: Kind,
  mappedHeader: readonly string[],
  map: ReadonlyMap<string, string>,
  options: { timezone?: string; defaultChannel?: string },
): Promise<void> {
  if (kind !== 'interactions' || source.format === 'xes' || source.header === undefined) return;
  // A CSV header is every column; JSON Lines keys are only the first record's, so only its times are checked.
  if (source.format === 'csv') checkColumns(source, mappedHeader, options);
  if (options.timezone !== undefined) return;
  const tsColumn = map.get('ts') ?? 'ts';
  const vs = values(await sample(source), tsColumn);
  if (lacksOffset(vs)) {
    throw new AppError('input', `${source.path}: the timestamps in "${tsColumn}" have no time zone offset (e.g. "${vs[0]}")`, {
      hint: 'name their zone with --timezone, e.g. --timezone UTC or --timezone Europe/Amsterdam',
    });
  }
}

function checkColumns(source: Source, mappedHeader: readonly string[], options: { defaultChannel?: string }): void {
  const header = source.header ?? [];
  const has = (f: string): boolean => mappedHeader.includes(f);
  const columns = header.slice(0, 12).join(', ');
  const missing = ['ts', 'activity', ...(options.defaultChannel === undefined ? ['channel'] : [])].filter((f) => !has(f));
  if (!has('journey_id') && !IDENTIFIER_TYPES.some(has)) missing.push('journey_id or a customer identifier');
  if (missing.length > 0) {
    throw new AppError('input', `${source.path} has no ${missing.join(', ')} column, and no --map or --set gives ${missing.length === 1 ? 'it' : 'them'}`, {
      hint: `its columns are ${columns}; run throughline import --suggest ${source.path} for the mapping to use`,
    });
  }
}

/** "3 rejected: 2 ts: timestamp is out of range, 1 missing activity", most frequent first. */
export function describeRejects(byReason: Readonly<Record<string, number>>): string {
  const entries = Object.entries(byReason).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = entries.reduce((n, [, c]) => n + c, 0);
  const shown = entries.slice(0, 5).map(([r, n]) => `${n.toLocaleString('en-US')} ${r}`);
  if (entries.length > 5) shown.push(`${entries.slice(5).reduce((n, [, c]) => n + c, 0).toLocaleString('en-US')} other`);
  return `${total.toLocaleString('en-US')} rejected: ${shown.join(', ')}`;
}
