/**
 * The import pipeline: parse → map columns → validate → stage, then in one transaction:
 * skip ids already stored, stitch identities, insert with customer keys, re-key older records
 * whose customer changed, and rebuild the journeys of the customers touched. A reader of the
 * database sees all of an import or none of it.
 */
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { silentLogger } from '../core/logger.ts';
import { CUSTOMER_KINDS, EMPLOYEE_KINDS, IDENTIFIER_TYPES, KINDS } from '../core/records.ts';
import type { Identifiers, Kind, RecordOfKind } from '../core/records.ts';
import { casesAfterImport } from '../feedback/after-import.ts';
import { restitch } from '../identity/restitch.ts';
import { ASSISTED_SQL, DEFAULT_JOURNEY_WINDOW_MS, rebuildJourneys, WHOLE_HISTORY } from '../journey/build.ts';
import type { JourneySettings } from '../journey/build.ts';
import { FIELDS, ID_COLUMN, commonColumns, stagingColumns } from '../store/schema.ts';
import type { Queryable, SqlDialect, SqlParam, Staging, Store } from '../store/store.ts';
import { detectKind, isKind } from './fields.ts';
import { openSource } from './parsers/open.ts';
import type { Format, Source } from './parsers/types.ts';
import { defaultRejectsPath, RejectWriter } from './rejects.ts';
import { checkFileMapping } from './suggest.ts';
import { createValidator } from './validate.ts';
import type { Validator } from './validate.ts';

export interface ImportOptions {
  readonly kind?: Kind;
  readonly format?: Format;
  /** Contract field → source column (`--map`). */
  readonly map?: ReadonlyMap<string, string>;
  /** Contract field → constant, for fields a file lacks (`--set`). */
  readonly constants?: ReadonlyMap<string, string>;
  /** One reject file for every input; default: beside each input. */
  readonly rejectsPath?: string;
  readonly timezone?: string;
  readonly delimiter?: string;
  readonly encoding?: 'utf8' | 'latin1';
  readonly journeyWindowMs?: number;
  /** Stored steps from which open journeys are extended in place (src/journey/build.ts; tests set 0). */
  readonly journeyAppendFromSteps?: number;
  /** Open closed-loop cases for imported answers that call for one (default true; docs/feedback.md). */
  readonly createCases?: boolean;
  readonly logger?: Logger;
  readonly onProgress?: (p: ImportProgress) => void;
}

export interface ImportProgress {
  readonly file: string;
  readonly fileIndex: number;
  readonly files: number;
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly rows: number;
  readonly phase: 'reading' | 'merging';
  /**
   * While merging: the step of the merge that just finished and how long it took (skip stored
   * ids, identity tuples, stitch, ..., journeys, cases, totals). Absent on the report that
   * starts the merge.
   */
  readonly step?: { readonly name: string; readonly seconds: number };
}

export interface ImportSummary {
  imported: Record<Kind, number>;
  skipped_duplicates: number;
  rejected: number;
  /** Rejects counted by reason, without each record's own values (`reasonKind` in suggest.ts). */
  rejected_by_reason: Record<string, number>;
  rejects_file: string | null;
  /** Every reject file written (one per input unless --rejects names one). */
  rejects_files: string[];
  customers: number;
  journeys: number;
  /** Closed-loop cases the imported answers opened (docs/feedback.md). */
  cases_opened: number;
  seconds: number;
  files: { path: string; kind: Kind; format: Format; records: number; rejected: number }[];
}

/** XES attribute names → contract fields, as DATA.md says; a user --map overrides any of them. */
const XES_MAP: ReadonlyMap<string, string> = new Map([
  ['journey_id', 'case:concept:name'],
  ['activity', 'concept:name'],
  ['ts', 'time:timestamp'],
  ['agent_id', 'org:resource'],
]);

function tupleKey(ids: Identifiers): string {
  let k = '';
  for (const t of IDENTIFIER_TYPES) k += (ids[t] ?? '') + '\u001f';
  return k;
}

export async function importFiles(store: Store, paths: readonly string[], options: ImportOptions = {}): Promise<ImportSummary> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  if (paths.length === 0) throw new AppError('usage', 'no input files given', { hint: 'name one or more files: throughline import FILE...' });
  if (options.kind !== undefined && !isKind(options.kind)) {
    throw new AppError('usage', `unknown kind ${String(options.kind)}`, { hint: `use one of ${KINDS.join(', ')}` });
  }
  // Open every input before importing anything: a missing file is found before any work is done.
  const sources: Source[] = [];
  for (const p of paths) {
    sources.push(
      await openSource(p, {
        ...(options.format ? { format: options.format } : {}),
        ...(options.delimiter ? { delimiter: options.delimiter } : {}),
        ...(options.encoding ? { encoding: options.encoding } : {}),
      }),
    );
  }
  const plans = sources.map((s) => planSource(s, options));
  // A column or zone the whole file lacks is one message before anything is imported, not a reject per row.
  for (let i = 0; i < sources.length; i++) await checkFileMapping(sources[i]!, plans[i]!.kind, plans[i]!.mappedHeader, plans[i]!.map, options);

  const sharedRejects = options.rejectsPath === undefined ? null : new RejectWriter(options.rejectsPath);
  const rejectWriters: RejectWriter[] = sharedRejects ? [sharedRejects] : [];
  const files: ImportSummary['files'] = [];

  const seqBase = await storedNextSeq(store);
  let seq = seqBase;

  const staging = await store.openStaging();
  try {
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i]!;
      const plan = plans[i]!;
      const rejects = sharedRejects ?? new RejectWriter(defaultRejectsPath(source.path));
      if (!sharedRejects) rejectWriters.push(rejects);
      const before = rejects.rejected;
      let records = 0;
      let rows = 0;
      const report = (): void =>
        options.onProgress?.({
          file: source.path,
          fileIndex: i,
          files: sources.length,
          bytesRead: source.bytesRead(),
          totalBytes: source.totalBytes,
          rows,
          phase: 'reading',
        });
      // A chunk of the file at a time: an async iterator's promises per record cost a tenth of the read.
      for await (const batch of source.batches()) {
        for (const item of batch) {
          rows++;
          if ((rows & 0x3fff) === 0) {
            report();
            // Backpressure: a store that ships staged rows asynchronously (COPY) catches up here.
            await staging.drain();
          }
          if (!item.ok) {
            rejects.write(source.path, item.line, item.reason, item.raw);
            continue;
          }
          const fields = plan.remap(item.row.fields);
          const result = plan.validate(fields, item.row.line);
          if (result.kind !== 'ok') {
            rejects.write(source.path, item.row.line, result.reason, item.row.fields);
            continue;
          }
          const record = result.value;
          staging.append(plan.kind, { seq: seq++, tupleKey: tupleKey(record.ids), record });
          records++;
        }
      }
      report();
      rejects.flush();
      files.push({ path: source.path, kind: plan.kind, format: source.format, records, rejected: rejects.rejected - before });
      logger.info(`${source.path}: ${records} ${plan.kind} read, ${rejects.rejected - before} rejected`);
    }
    await staging.flush();
    // The merge's start, then each of its steps as it ends.
    const merging = (step?: ImportProgress['step']): void =>
      options.onProgress?.({ file: '', fileIndex: sources.length, files: sources.length, bytesRead: 0, totalBytes: 0, rows: seq - seqBase, phase: 'merging', ...(step ? { step } : {}) });
    merging();
    logger.info(`read and validated ${seq - seqBase} records in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    const merged = await mergeStaged(store, staging, seqBase, seq, journeySettings(options), logger, options.createCases ?? true, (name, seconds) =>
      merging({ name, seconds }),
    );
    const written = rejectWriters.filter((w) => w.rejected > 0).map((w) => w.path);
    const rejected = rejectWriters.reduce((n, w) => n + w.rejected, 0);
    const rejectedByReason: Record<string, number> = {};
    for (const w of rejectWriters) for (const [r, n] of w.reasons) rejectedByReason[r] = (rejectedByReason[r] ?? 0) + n;
    return {
      imported: merged.imported,
      skipped_duplicates: merged.skipped,
      rejected,
      rejected_by_reason: rejectedByReason,
      rejects_file: written[0] ?? null,
      rejects_files: written,
      customers: merged.customers,
      journeys: merged.journeys,
      cases_opened: merged.cases_opened,
      seconds: Math.round((performance.now() - started) / 10) / 100,
      files,
    };
  } finally {
    for (const w of rejectWriters) w.close();
    await staging.release();
  }
}

interface Plan {
  readonly kind: Kind;
  readonly remap: (fields: Record<string, unknown>) => Record<string, unknown>;
  readonly validate: Validator<Kind>;
  /** The columns records have once mapped, with the constant fields. */
  readonly mappedHeader: readonly string[];
  readonly map: ReadonlyMap<string, string>;
}

function planSource(source: Source, options: ImportOptions): Plan {
  const map = new Map(source.format === 'xes' ? XES_MAP : []);
  for (const [to, from] of options.map ?? []) map.set(to, from);
  const constants = options.constants ?? new Map<string, string>();
  const mappedHeader = (source.header ?? []).map((c) => {
    for (const [to, from] of map) if (from === c) return to;
    return c;
  });
  for (const to of map.keys()) if (!mappedHeader.includes(to)) mappedHeader.push(to);
  for (const c of constants.keys()) if (!mappedHeader.includes(c)) mappedHeader.push(c);

  const kind = options.kind ?? (source.format === 'xes' ? 'interactions' : detectKind(mappedHeader));
  if (kind === null) {
    throw new AppError('input', `cannot tell what kind of records ${source.path} holds from its columns (${(source.header ?? []).slice(0, 8).join(', ')})`, {
      hint: `pass --kind ${KINDS.join('|')}, or --map to name the contract's columns; throughline import --suggest ${source.path} proposes them`,
    });
  }
  if (source.header !== undefined && source.format === 'csv') {
    for (const [to, from] of map) {
      if (!source.header.includes(from)) {
        throw new AppError('usage', `--map ${to}=${from}: ${source.path} has no column "${from}"`, {
          hint: `its columns are ${source.header.slice(0, 12).join(', ')}`,
        });
      }
    }
  }
  const idColumn = kind === 'interactions' ? 'event_id' : kind === 'feedback' ? 'response_id' : null;
  // Process-mining logs have no event ids; a file that has the column must fill it in.
  const deriveIds = idColumn !== null && (source.format === 'xes' ? !map.has(idColumn) : !mappedHeader.includes(idColumn));
  const validate = createValidator(kind, {
    ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
    deriveIds,
    ...(source.format === 'xes' ? { defaultChannel: 'other' } : {}),
  }) as Validator<Kind>;

  const pairs = [...map];
  const sources = new Set(pairs.map(([, from]) => from));
  const remap = (fields: Record<string, unknown>): Record<string, unknown> => {
    if (pairs.length === 0 && constants.size === 0) return fields;
    // Copied key by key, leaving the mapped columns out: a spread followed by deletes made every
    // record a slow dictionary-mode object, a fifth of a process log's read phase.
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(fields)) if (!sources.has(k)) out[k] = fields[k];
    for (const [to, from] of pairs) if (fields[from] !== undefined) out[to] = fields[from];
    for (const [to, v] of constants) if (out[to] === undefined || out[to] === '') out[to] = v;
    return out;
  };
  return { kind, remap, validate, mappedHeader, map };
}

interface Merged {
  imported: Record<Kind, number>;
  skipped: number;
  cases_opened: number;
  /** What the merge changed, when asked for (the server's live cache refreshes exactly that). */
  changes?: MergeChanges;
}

/** The customers and identifiers a merge touched. */
export interface MergeChanges {
  /** Keys of customers with new or re-keyed records, before and after the merge. */
  readonly customers: readonly string[];
  /** `type:value` of every identifier on a new or re-keyed identifier tuple: whom it names may have changed. */
  readonly identifiers: readonly string[];
}

/**
 * The most records a merge reads where they are staged (SqlDialect.mergeRelation); above it,
 * it copies them. With views, a first import of 10M events ran out of DuckDB's 768 MB at its
 * merge; 1M and 2M (at 1.5 GB RSS) fit (BENCHMARKS.md).
 */
const VIEW_MAX_RECORDS = 2_000_000;

/**
 * How a merge of `records` records staged before its transaction holds those it keeps: as the
 * dialect prefers, but copied past VIEW_MAX_RECORDS, since views re-join what they read on every
 * use and the hash tables of those joins no longer fit DuckDB's memory beside the rest.
 */
function stagedRelation(sql: SqlDialect, records: number): SqlDialect['mergeRelation'] {
  return records <= VIEW_MAX_RECORDS ? sql.mergeRelation : 'TABLE';
}

async function mergeStaged(
  store: Store,
  staging: Staging,
  seqBase: number,
  seqEnd: number,
  journeys: JourneySettings,
  logger: Logger,
  createCases: boolean,
  onStep: (name: string, seconds: number) => void,
): Promise<Merged & { customers: number; journeys: number }> {
  let t0 = performance.now();
  const phase = (name: string): void => {
    const t = performance.now();
    logger.info(`  ${name}: ${((t - t0) / 1000).toFixed(2)} s`);
    onStep(name, (t - t0) / 1000);
    t0 = t;
  };
  const timings: { sql: string; s: number }[] = [];
  try {
    const merged = await staging.transaction(async (tx) => {
      const shift = await shiftStaged(tx, seqBase);
      const relation = stagedRelation(store.sql, seqEnd - seqBase);
      return mergeInTransaction(timed(tx, timings), store.sql, relation, seqBase + shift, seqEnd + shift, journeys, phase, createCases);
    });
    // What the store holds now, for the summary: two full scans, after the commit, so that on
    // PostgreSQL no other writer waits for them (1.4 s on a 1M-event store). They may count what
    // another process merged meanwhile, which is what the store holds.
    const [c] = await store.query(`SELECT count(DISTINCT customer_key) AS n FROM (${CUSTOMER_KINDS.map((k) => `SELECT customer_key FROM ${k}`).join(' UNION ALL ')}) a`);
    const [j] = await store.query(`SELECT count(*) AS n FROM journeys`);
    phase('totals');
    return { ...merged, customers: Number(c!.n), journeys: Number(j!.n) };
  } finally {
    // The slowest statements, for `-v`: where an import's time goes is the first question asked.
    for (const t of timings.sort((a, b) => b.s - a.s).slice(0, 8)) logger.info(`    ${t.s.toFixed(2)} s  ${t.sql}`);
  }
}

function journeySettings(options: Pick<ImportOptions, 'journeyWindowMs' | 'journeyAppendFromSteps'>): JourneySettings {
  const windowMs = options.journeyWindowMs ?? DEFAULT_JOURNEY_WINDOW_MS;
  return options.journeyAppendFromSteps === undefined ? { windowMs } : { windowMs, appendFromSteps: options.journeyAppendFromSteps };
}

/** The sequence number the next record takes (`settings.next_seq`; 1 on an empty store). */
async function storedNextSeq(q: Queryable): Promise<number> {
  const [row] = await q.query(`SELECT value FROM settings WHERE key = 'next_seq'`);
  return row ? Number(row.value) : 1;
}

/**
 * Records staged before their merge's transaction were numbered from `seqBase`, the next_seq
 * read then; another writer (a server, another import) may have taken sequence numbers since.
 * The staged records move after them, so input order stays total. Returns by how much.
 */
async function shiftStaged(tx: Queryable, seqBase: number): Promise<number> {
  const shift = (await storedNextSeq(tx)) - seqBase;
  if (shift !== 0) for (const kind of KINDS) await tx.exec(`UPDATE stg_${kind} SET seq = seq + ${shift}`);
  return shift;
}

/**
 * The merge of whatever the staging tables `stg_<kind>` hold (records with seq in
 * [seqBase, seqEnd)), inside the caller's transaction. `relation`: whether the records kept are
 * read where they are staged or copied (SqlDialect.mergeRelation; a copy when they were staged
 * in this same transaction).
 */
async function mergeInTransaction(
  tx: Queryable,
  sql: SqlDialect,
  relation: SqlDialect['mergeRelation'],
  seqBase: number,
  seqEnd: number,
  journeys: JourneySettings,
  phase: (name: string) => void,
  createCases: boolean,
  reportChanges = false,
): Promise<Merged> {
  {
    const imported = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
    let skipped = 0;

    // Only the kinds this import brought are merged: every statement has a fixed cost, and the
    // collector merges small batches many times a second.
    const stagedRows = await tx.query(KINDS.map((k) => `SELECT '${k}' AS kind, count(*) AS n FROM stg_${k}`).join(' UNION ALL '));
    const present = KINDS.filter((k) => Number(stagedRows.find((r) => r.kind === k)?.n ?? 0) > 0);

    // 1. Keep the first record of each id that is not stored already, as `new_<kind>`: a copy, or
    // (`relation` VIEW) a view that reads them where they are staged, leaving out `skip_<kind>`,
    // the seq of the others (few, as a rule). Rows copied into a table created in this
    // transaction cost DuckDB about twice as much to read back as rows it committed (a file
    // import's appender commits the staging table): each wide copy slowed every later statement.
    for (const kind of present) {
      const id = ID_COLUMN[kind];
      const cols = stagedColumnNames(kind);
      const records = `SELECT ${cols.map((c) => `s.${c}`).join(', ')} FROM stg_${kind} s`;
      if (kind === 'staff') {
        // The directory replaces the rows it names (DATA.md): the last row of each id is kept,
        // whether or not it is stored already; the stored one goes at insert (step 5).
        await tx.exec(`DROP TABLE IF EXISTS new_${kind}`);
        await tx.exec(`CREATE TEMP TABLE new_${kind} AS ${records} WHERE s.seq IN (SELECT max(seq) FROM stg_${kind} GROUP BY ${id})`);
        const [counts] = await tx.query(`SELECT (SELECT count(*) FROM stg_${kind}) AS staged, (SELECT count(*) FROM new_${kind}) AS kept`);
        imported[kind] = Number(counts!.kept);
        skipped += Number(counts!.staged) - imported[kind];
        continue;
      }
      const [staged] = await tx.query(`SELECT count(*) AS n FROM stg_${kind}`);
      await tx.exec(`DROP ${relation} IF EXISTS new_${kind}`);
      // Hash aggregates and joins: cheaper than a window that sorts every staged row.
      if (relation === 'VIEW') {
        await tx.exec(`DROP TABLE IF EXISTS skip_${kind}`);
        await tx.exec(`CREATE TEMP TABLE skip_${kind} AS SELECT s.seq FROM stg_${kind} s
          WHERE s.seq NOT IN (SELECT min(seq) FROM stg_${kind} GROUP BY ${id})
            OR EXISTS (SELECT 1 FROM ${kind} m WHERE m.${id} = s.${id})`);
        await tx.exec(`CREATE TEMP VIEW new_${kind} AS ${records} WHERE s.seq NOT IN (SELECT seq FROM skip_${kind})`);
        const [skips] = await tx.query(`SELECT count(*) AS n FROM skip_${kind}`);
        imported[kind] = Number(staged!.n) - Number(skips!.n);
      } else {
        await tx.exec(`CREATE TEMP TABLE new_${kind} AS ${records}
          WHERE s.seq IN (SELECT min(seq) FROM stg_${kind} GROUP BY ${id})
            AND NOT EXISTS (SELECT 1 FROM ${kind} m WHERE m.${id} = s.${id})`);
        const [fresh] = await tx.query(`SELECT count(*) AS n FROM new_${kind}`);
        imported[kind] = Number(fresh!.n);
      }
      skipped += Number(staged!.n) - imported[kind];
    }

    phase('skip stored ids');
    // 2. New identifier tuples.
    const [maxTuple] = await tx.query(`SELECT coalesce(max(tuple_id), 0) AS n FROM id_tuples`);
    // Anonymous records (feedback and messages with no identifier) make no tuple: they link to no
    // customer; employee records (the directory, employee answers) name no customer at all.
    const unionNew = present
      .filter((k) => !EMPLOYEE_KINDS.has(k))
      .map((k) => `SELECT tuple_key, seq, ${IDENTIFIER_TYPES.join(', ')} FROM new_${k}${ANONYMOUS_KINDS.has(k) ? ` WHERE NOT (${NO_IDENTIFIER_SQL})` : ''}`)
      .join(' UNION ALL ');
    if (unionNew !== '') {
      await tx.exec(`INSERT INTO id_tuples (tuple_id, tuple_key, ${IDENTIFIER_TYPES.join(', ')}, first_seq, customer_key)
        SELECT ${Number(maxTuple!.n)} + row_number() OVER (ORDER BY first_seq, tuple_key), tuple_key, ${IDENTIFIER_TYPES.join(', ')}, first_seq, NULL
        FROM (
          SELECT tuple_key, ${IDENTIFIER_TYPES.map((t) => `min(${t}) AS ${t}`).join(', ')}, min(seq) AS first_seq
          FROM (${unionNew}) n
          WHERE NOT EXISTS (SELECT 1 FROM id_tuples t WHERE t.tuple_key = n.tuple_key)
          GROUP BY tuple_key
        ) g`);
    }

    // 3. Stitch the components of the identity graph the new tuples touch (src/identity/restitch.ts)
    // and store what changed: key changes are left in the temp table tuple_changes.
    const { rekeyed } = await restitch(tx, Number(maxTuple!.n), phase);
    // 4. Journeys to rebuild (src/journey/build.ts): all of a customer's for re-keyed records (old
    // and new keys) and new inbound assisted contacts (they count against the containment of the
    // customer's journeys toward any intent); for other new steps, only the customer's journeys
    // toward that intent, since sessionisation is per customer and intent.
    // `since`: the earliest new event, from shortly before which journeys are rebuilt; or
    // WHOLE_HISTORY for customers whose records changed key.
    await tx.exec(`DROP TABLE IF EXISTS affected`);
    await tx.exec(`CREATE TEMP TABLE affected (customer_key TEXT, since BIGINT)`);
    await tx.exec(`DROP TABLE IF EXISTS affected_pairs`);
    await tx.exec(`CREATE TEMP TABLE affected_pairs (customer_key TEXT, intent TEXT, since BIGINT)`);
    // Tuples that existed before this import and changed customer: their stored records move.
    if (rekeyed > 0) {
      await tx.exec(`INSERT INTO affected SELECT DISTINCT customer_key, ${WHOLE_HISTORY} FROM interactions
        WHERE tuple_id IN (SELECT tuple_id FROM tuple_changes)`);
    }

    // 5. Re-key stored records whose tuple changed customer, then insert the new records.
    const touched = new Set<string>();
    /** The columns of `incoming` when this import brings interactions. */
    let incoming: string[] | null = null;
    const collectRekeyed = async (kind: Kind): Promise<void> => {
      for (const r of await tx.query(`SELECT DISTINCT customer_key FROM ${kind} WHERE tuple_id IN (SELECT tuple_id FROM tuple_changes)`)) {
        if (r.customer_key !== null) touched.add(String(r.customer_key));
      }
    };
    for (const kind of KINDS) {
      if (EMPLOYEE_KINDS.has(kind)) {
        // No customer: inserted as they are, with no tuple and no key.
        if (!present.includes(kind)) continue;
        const cols = stagedColumnNames(kind).filter((c) => c !== 'tuple_key');
        if (kind === 'staff') await tx.exec(`DELETE FROM staff WHERE staff_id IN (SELECT staff_id FROM new_staff)`);
        await tx.exec(`INSERT INTO ${kind} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM new_${kind}`);
        await tx.exec(`DROP ${kind === 'staff' ? 'TABLE' : relation} new_${kind}`);
        if (kind !== 'staff' && relation === 'VIEW') await tx.exec(`DROP TABLE skip_${kind}`);
        continue;
      }
      const key = recordKeySql(kind, 't', 'r');
      if (rekeyed > 0) {
        // The records' customers before and after: both customers' facts change.
        if (reportChanges) await collectRekeyed(kind);
        await tx.exec(`UPDATE ${kind} AS r SET customer_key = ${key.replace(/\bt\.customer_key\b/, 'c.customer_key')}
          FROM tuple_changes c WHERE r.tuple_id = c.tuple_id`);
        if (reportChanges) await collectRekeyed(kind);
      }
      if (!present.includes(kind)) continue;
      const cols = stagedColumnNames(kind).filter((c) => c !== 'tuple_key');
      const keyed = ANONYMOUS_KINDS.has(kind)
        ? `SELECT ${cols.map((c) => `r.${c}`).join(', ')}, t.tuple_id, CASE WHEN t.tuple_id IS NULL THEN NULL ELSE ${key} END AS customer_key
          FROM new_${kind} r LEFT JOIN id_tuples t ON t.tuple_key = r.tuple_key`
        : `SELECT ${cols.map((c) => `r.${c}`).join(', ')}, t.tuple_id, ${key} AS customer_key
          FROM new_${kind} r JOIN id_tuples t ON t.tuple_key = r.tuple_key`;
      // New interactions wait in `incoming`: the journey rebuild inserts them with their step
      // columns set, rather than inserting and then updating them (src/journey/build.ts). As a
      // view, only their keys are written here (`incoming_keys`), joined to `new_<kind>`.
      if (kind === 'interactions') {
        await tx.exec(`DROP ${relation} IF EXISTS incoming`);
        if (relation === 'VIEW') {
          await tx.exec(`DROP TABLE IF EXISTS incoming_keys`);
          await tx.exec(`CREATE TEMP TABLE incoming_keys AS SELECT r.seq, t.tuple_id, ${key} AS customer_key
            FROM new_${kind} r JOIN id_tuples t ON t.tuple_key = r.tuple_key`);
          await tx.exec(`CREATE TEMP VIEW incoming AS SELECT ${cols.map((c) => `r.${c}`).join(', ')}, k.tuple_id, k.customer_key
            FROM new_${kind} r JOIN incoming_keys k ON k.seq = r.seq`);
        } else {
          await tx.exec(`CREATE TEMP TABLE incoming AS ${keyed}`);
        }
        incoming = [...cols, 'tuple_id', 'customer_key'];
      } else {
        await tx.exec(`INSERT INTO ${kind} (${cols.join(', ')}, tuple_id, customer_key) ${keyed}`);
        await dropNew(tx, relation, kind);
      }
    }
    const freshInbound = incoming ? `SELECT customer_key, intent, channel, ts FROM incoming WHERE direction = 'inbound'` : null;
    const affectedSources = [
      ...(rekeyed > 0 ? [`SELECT customer_key, ${WHOLE_HISTORY} AS since FROM interactions WHERE tuple_id IN (SELECT tuple_id FROM tuple_changes)`] : []),
      ...(rekeyed > 0 && incoming ? [`SELECT customer_key, ${WHOLE_HISTORY} AS since FROM incoming WHERE tuple_id IN (SELECT tuple_id FROM tuple_changes)`] : []),
      ...(freshInbound ? [`SELECT customer_key, ts AS since FROM (${freshInbound}) f WHERE channel IN (${ASSISTED_SQL})`] : []),
    ];
    if (affectedSources.length > 0) {
      await tx.exec(`INSERT INTO affected SELECT customer_key, min(since) FROM (${affectedSources.join(' UNION ALL ')}) a GROUP BY customer_key`);
    }
    if (freshInbound) await tx.exec(`INSERT INTO affected_pairs SELECT customer_key, intent, min(ts) FROM (${freshInbound}) f GROUP BY customer_key, intent`);

    phase('insert and re-key records');
    // 6. Journeys of the affected customers only; the new interactions go in here.
    await rebuildJourneys(tx, journeys.windowMs, sql.stringAgg, {
      ...(incoming ? { incoming: { table: 'incoming', columns: incoming } } : {}),
      ...(journeys.appendFromSteps !== undefined ? { appendFromSteps: journeys.appendFromSteps } : {}),
    });
    if (incoming) {
      await tx.exec(`DROP ${relation} incoming`);
      if (relation === 'VIEW') await tx.exec(`DROP TABLE incoming_keys`);
      await dropNew(tx, relation, 'interactions');
    }
    phase('journeys');

    let changes: MergeChanges | undefined;
    if (reportChanges) {
      for (const kind of present.filter((k) => !EMPLOYEE_KINDS.has(k))) {
        for (const r of await tx.query(`SELECT DISTINCT customer_key FROM ${kind} WHERE seq >= ${seqBase} AND seq < ${seqEnd}`)) touched.add(String(r.customer_key));
      }
      const identifiers = new Set<string>();
      // New tuples, then changed old ones: a union, not an OR'd IN, which PostgreSQL checks row by
      // row once the list outgrows work_mem (see the journeys DELETE in src/journey/build.ts).
      const tuples = await tx.query(`SELECT ${IDENTIFIER_TYPES.join(', ')} FROM id_tuples WHERE tuple_id > ${Number(maxTuple!.n)}
        UNION ALL
        SELECT ${IDENTIFIER_TYPES.join(', ')} FROM id_tuples
        WHERE tuple_id <= ${Number(maxTuple!.n)} AND tuple_id IN (SELECT tuple_id FROM tuple_changes)`);
      for (const t of tuples) for (const type of IDENTIFIER_TYPES) if (t[type] !== null && t[type] !== undefined) identifiers.add(`${type}:${String(t[type])}`);
      changes = { customers: [...touched], identifiers: [...identifiers] };
    }

    await tx.exec(`DELETE FROM settings WHERE key = 'next_seq'`);
    await tx.exec(`INSERT INTO settings (key, value) VALUES ('next_seq', $1)`, [String(seqEnd)]);
    await tx.exec(`DROP TABLE tuple_changes`);
    await tx.exec(`DROP TABLE affected`);
    await tx.exec(`DROP TABLE affected_pairs`);

    // 7. The closed loop: cases for the new answers that call for one (src/feedback/after-import.ts).
    const casesOpened = await casesAfterImport(tx, sql, seqBase, seqEnd, createCases);
    phase('cases');

    return { imported, skipped, cases_opened: casesOpened, ...(changes ? { changes } : {}) };
  }
}

/** Kinds whose records may carry no identifier at all (DATA.md): stored with no tuple and no customer. */
const ANONYMOUS_KINDS: ReadonlySet<Kind> = new Set(['feedback', 'messages']);
const NO_IDENTIFIER_SQL = IDENTIFIER_TYPES.map((t) => `${t} IS NULL`).join(' AND ');

/**
 * The customer key of a record: its tuple's key, or — when its identifiers link nothing (a
 * blocked caller id, a shared phone alone) — a key of its own, so it is never merged by guess.
 */
export function recordKeySql(kind: Kind, tuple: string, rec: string): string {
  return `coalesce(${tuple}.customer_key, 'r-' || substr(md5('${kind}:' || ${rec}.${ID_COLUMN[kind]}), 1, 12))`;
}

/** Drops a kind's new records (and, for a view, the list behind it, after the view). */
async function dropNew(tx: Queryable, relation: SqlDialect['mergeRelation'], kind: Kind): Promise<void> {
  await tx.exec(`DROP ${relation} new_${kind}`);
  if (relation === 'VIEW') await tx.exec(`DROP TABLE skip_${kind}`);
}

function stagedColumnNames(kind: Kind): string[] {
  return ['seq', ...FIELDS[kind].map((c) => c.name), ...commonColumns().map((c) => c.name), 'tuple_key'];
}

const YIELD_EVERY = 5_000;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One record handed over in memory (the HTTP API, the collector) instead of read from a file. */
export interface RawRecord {
  /** Where it came from, for messages and for routing rejects back to a request. */
  readonly source: string;
  /** 1-based position in its source (a line of an NDJSON body, an index in a JSON array). */
  readonly line: number;
  readonly kind: Kind;
  /** Contract field → value, as a parsed JSON Lines row would hold them. */
  readonly fields: Record<string, unknown>;
  /**
   * What validating `fields` gave, when the caller already did it with the same options (the
   * collector validates to answer the request): then it is not done again.
   */
  readonly valid?: RecordOfKind[Kind];
}

export interface RecordsOptions {
  readonly timezone?: string;
  readonly journeyWindowMs?: number;
  readonly journeyAppendFromSteps?: number;
  readonly createCases?: boolean;
  readonly logger?: Logger;
  /** Called for each record that breaks the contract, instead of writing a reject file. */
  readonly onReject?: (record: RawRecord, reason: string) => void;
  /** Report which customers and identifiers the merge touched (`RecordsSummary.changes`). */
  readonly reportChanges?: boolean;
  /**
   * Runs inside the merge's transaction, after the merge: the collector records there how far
   * into its journal it has merged, so the records and that position commit together. Not
   * called when no record is valid (then no transaction runs).
   */
  readonly inTransaction?: (tx: Queryable) => Promise<void>;
}

export interface RecordsSummary {
  imported: Record<Kind, number>;
  skipped_duplicates: number;
  rejected: number;
  cases_opened: number;
  seconds: number;
  /** With `reportChanges`: what the merge touched. */
  changes?: MergeChanges;
}

/**
 * Imports in-memory records through the same validation, staging tables and merge as
 * `importFiles`: when it returns, every valid record is committed (or was already stored under
 * its id), which is what lets the collector acknowledge only durable data.
 */
export async function importRecords(store: Store, records: Iterable<RawRecord>, options: RecordsOptions = {}): Promise<RecordsSummary> {
  const started = performance.now();
  const logger = options.logger ?? silentLogger;
  const validators = new Map<Kind, Validator<Kind>>();
  const valid = Object.fromEntries(KINDS.map((k) => [k, [] as { record: RecordOfKind[Kind]; key: string }[]])) as Record<
    Kind,
    { record: RecordOfKind[Kind]; key: string }[]
  >;
  let rejected = 0;
  let count = 0;
  let seen = 0;
  for (const raw of records) {
    // A large batch is long synchronous work: let requests in now and then.
    if (++seen % YIELD_EVERY === 0) await yieldToEventLoop();
    if (raw.valid !== undefined) {
      valid[raw.kind].push({ record: raw.valid, key: tupleKey(raw.valid.ids) });
      count++;
      continue;
    }
    let validate = validators.get(raw.kind);
    if (validate === undefined) {
      validate = createValidator(raw.kind, options.timezone !== undefined ? { timezone: options.timezone } : {}) as Validator<Kind>;
      validators.set(raw.kind, validate);
    }
    const result = validate(raw.fields, raw.line);
    if (result.kind !== 'ok') {
      rejected++;
      options.onReject?.(raw, result.reason);
      continue;
    }
    valid[raw.kind].push({ record: result.value, key: tupleKey(result.value.ids) });
    count++;
  }
  const imported = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  if (count === 0) return { imported, skipped_duplicates: 0, rejected, cases_opened: 0, seconds: 0 };

  const staging = await store.openStaging();
  let merged: Merged;
  // The merge of records numbered [seqBase, seqEnd), with what the caller runs after it.
  // Phase timings are for bulk imports; a real-time batch would flood the log with them.
  const merge = async (tx: Queryable, relation: SqlDialect['mergeRelation'], seqBase: number, seqEnd: number): Promise<Merged> => {
    const createCases = options.createCases ?? true;
    const result = await mergeInTransaction(tx, store.sql, relation, seqBase, seqEnd, journeySettings(options), () => undefined, createCases, options.reportChanges ?? false);
    await options.inTransaction?.(tx);
    logger.info(`merged ${seqEnd - seqBase} records`);
    return result;
  };
  try {
    if (stagedRelation(store.sql, count) === 'VIEW') {
      // As a file import: staged and committed before the merge's transaction, so the merge
      // reads them where they are (SqlDialect.mergeRelation).
      const seqBase = await storedNextSeq(store);
      let seq = seqBase;
      for (const kind of KINDS) {
        for (const { record, key } of valid[kind]) {
          staging.append(kind, { seq: seq++, tupleKey: key, record });
          if ((seq - seqBase) % YIELD_EVERY === 0) await yieldToEventLoop();
        }
      }
      await staging.flush();
      merged = await staging.transaction(async (tx) => {
        const shift = await shiftStaged(tx, seqBase);
        return merge(tx, 'VIEW', seqBase + shift, seq + shift);
      });
    } else {
      // The store's staging (its tables and, in PostgreSQL, its session and merge lock), filled
      // inside the merge's own transaction so nothing else runs between staging and merge.
      merged = await staging.transaction(async (tx) => {
        const seqBase = await storedNextSeq(tx);
        let seq = seqBase;
        for (const kind of KINDS) {
          if (valid[kind].length === 0) continue;
          const fields = [...FIELDS[kind], ...commonColumns()] as unknown as readonly { get: (r: RecordOfKind[Kind]) => SqlParam }[];
          const rows = valid[kind].map(({ record, key }) => [seq++, ...fields.map((f) => f.get(record)), key]);
          await tx.bulkInsert(`stg_${kind}`, stagingColumns(kind).map((c) => c.name), rows);
        }
        // Staged in this transaction: a view would read them no faster than a copy.
        return merge(tx, 'TABLE', seqBase, seq);
      });
    }
  } finally {
    await staging.release();
  }
  return {
    imported: merged.imported,
    skipped_duplicates: merged.skipped,
    rejected,
    cases_opened: merged.cases_opened,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    ...(merged.changes ? { changes: merged.changes } : {}),
  };
}

/** The same queryable, timing each statement into `out`. */
function timed(tx: Queryable, out: { sql: string; s: number }[]): Queryable {
  const time = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      out.push({ sql: sql.replace(/\s+/g, ' ').trim().slice(0, 100), s: (performance.now() - t0) / 1000 });
    }
  };
  return {
    query: (sql, p) => time(sql, () => tx.query(sql, p)),
    exec: (sql, p) => time(sql, () => tx.exec(sql, p)),
    bulkInsert: (t, c, r) => time(`bulkInsert ${t}`, () => tx.bulkInsert(t, c, r)),
    stream: (sql, p) => tx.stream(sql, p),
  };
}
