/** `throughline import`: parse → call the importer → print the summary → exit 0, or 3 with rejects. */
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import type { Kind } from '../core/records.ts';
import { isKind, parseConstants, parseMapping } from '../ingest/fields.ts';
import { analyseComments, taxonomyInForce } from '../feedback/comments.ts';
import { importFiles } from '../ingest/import.ts';
import { openSource } from '../ingest/parsers/open.ts';
import { describeRejects, describeSuggestion, suggestMapping } from '../ingest/suggest.ts';
import type { Suggestion } from '../ingest/suggest.ts';
import { checkInputFile } from '../ingest/parsers/open.ts';
import type { ImportProgress, ImportSummary } from '../ingest/import.ts';
import type { Format } from '../ingest/parsers/types.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { fmtInt, progressBar, printJson, stderrLogger } from './output.ts';
import type { Io } from './output.ts';

interface ImportFlags {
  kind?: string;
  format?: string;
  map?: string;
  set?: string;
  rejects?: string;
  timezone?: string;
  delimiter?: string;
  encoding?: string;
  cases?: boolean;
  suggest?: boolean;
}

export function registerImport(program: Command, ctx: CommandContext, setExit: (code: number) => void): void {
  program
    .command('import')
    .description('import interaction logs, feedback, profiles, holdings, promises, consents and messages (CSV, JSON Lines, XES; gzip or not)')
    .argument('<files...>', 'input files')
    .option('--kind <kind>', 'what the files hold: profiles, interactions, feedback, holdings, promises, consents, messages (default: detected from the columns)')
    .option('--format <format>', 'csv, jsonl or xes (default: from the extension and content)')
    .option('--map <pairs>', 'contract field = input column, comma-separated, e.g. ts=time:timestamp,activity=concept:name')
    .option('--set <pairs>', 'constant values for fields the file lacks, e.g. channel=call')
    .option('--rejects <file>', 'write rejected records here (default: <input>.rejects.jsonl beside each input)')
    .option('--timezone <zone>', 'zone of timestamps written without an offset (IANA name, UTC or ±HH:MM); without it they are rejected')
    .option('--delimiter <char>', 'CSV field separator (default: detected)')
    .option('--encoding <enc>', 'utf8 or latin1 for the whole file (default: utf8; a line that is not UTF-8 is rejected)')
    .option('--suggest', 'print the --map and --set this file would be imported with, and what it still needs; import nothing')
    .option('--no-cases', 'do not open closed-loop cases for imported detractor and low-CSAT answers (for back-loads)')
    .action(async (files: string[], flags: ImportFlags) => {
      const g = ctx.global();
      if (flags.kind !== undefined && !isKind(flags.kind)) {
        throw new AppError('usage', `--kind ${flags.kind} is not a kind`, { hint: 'use profiles, interactions, feedback, holdings, promises, consents or messages' });
      }
      if (flags.format !== undefined && !['csv', 'jsonl', 'xes'].includes(flags.format)) {
        throw new AppError('usage', `--format ${flags.format} is not a format`, { hint: 'use csv, jsonl or xes' });
      }
      if (flags.encoding !== undefined && !['utf8', 'latin1'].includes(flags.encoding)) {
        throw new AppError('usage', `--encoding ${flags.encoding} is not supported`, { hint: 'use utf8 or latin1' });
      }
      // Inputs first: a mistyped file name is the error to report, not an unreachable database.
      for (const f of files) await checkInputFile(f);
      if (flags.suggest) return printSuggestions(ctx, files, flags, Boolean(g.json));
      const progress = createProgress(ctx.io, Boolean(g.json), Boolean(g.verbose));
      const summary = await withStore(ctx, async (store) => {
        const s = await importFiles(store, files, {
          ...(flags.kind !== undefined ? { kind: flags.kind as Kind } : {}),
          ...(flags.format !== undefined ? { format: flags.format as Format } : {}),
          map: parseMapping(flags.map),
          constants: parseConstants(flags.set),
          ...(flags.rejects !== undefined ? { rejectsPath: flags.rejects } : {}),
          ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
          ...(flags.delimiter !== undefined ? { delimiter: flags.delimiter === '\\t' ? '\t' : flags.delimiter } : {}),
          ...(flags.encoding !== undefined ? { encoding: flags.encoding as 'utf8' | 'latin1' } : {}),
          journeyWindowMs: ctx.config.journeyWindowMs,
          createCases: flags.cases !== false,
          logger: stderrLogger(ctx.io, Boolean(g.verbose)),
          onProgress: progress.update,
        }).finally(progress.stop);
        // Texts are read by the NLP model now, once, rather than on the first question about them
        // (milliseconds a text: a 10,000-comment store would make that question wait a minute).
        if (s.imported.feedback + s.imported.messages > 0) {
          if (!g.json) ctx.io.err('Reading the new comments and messages for sentiment and topics...');
          await analyseComments(store, await taxonomyInForce(store));
        }
        return s;
      }, { create: true });
      if (g.json) printJson(ctx.io, summary);
      else ctx.io.out(describeImport(summary).join('\n'));
      if (summary.rejected > 0) {
        ctx.io.err(`${describeRejects(summary.rejected_by_reason)}`);
        ctx.io.err(`${fmtInt(summary.rejected)} record(s) rejected: see ${summary.rejects_files.join(', ')}; every valid record was imported`);
        setExit(3);
      }
    });
}

export function describeImport(s: ImportSummary): string[] {
  const parts = Object.entries(s.imported)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${fmtInt(n)} ${k}`);
  return [
    `Imported ${parts.length > 0 ? parts.join(', ') : 'nothing new'} from ${s.files.length} file(s) in ${s.seconds.toFixed(1)} s.`,
    ...(s.skipped_duplicates > 0 ? [`Skipped ${fmtInt(s.skipped_duplicates)} record(s) whose id was already imported or repeated in the input.`] : []),
    `The store now holds ${fmtInt(s.customers)} customers and ${fmtInt(s.journeys)} journeys.`,
    ...(s.cases_opened > 0 ? [`Opened ${fmtInt(s.cases_opened)} closed-loop case(s) for detractor and low-CSAT answers (see: throughline cases).`] : []),
  ];
}

/** On a terminal, a progress bar with rows/s, then each step of the merge as it ends; nothing otherwise (or with --json). */
function createProgress(io: Io, json: boolean, verbose: boolean): { update: (p: ImportProgress) => void; stop: () => void } {
  if (!io.stderrIsTty || json) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  const bar = progressBar({
    format: '{file} |{bar}| {percentage}% · {rows} rows · {rate} rows/s',
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  });
  let active = false;
  let file = '';
  return {
    update: (p) => {
      const rate = Math.round(p.rows / Math.max(0.001, (performance.now() - started) / 1000));
      if (p.phase === 'merging') {
        if (active) bar.stop();
        active = false;
        // Each step of the merge as it ends: on a large store the merge is most of the wait.
        // With -v the log already says the same.
        if (p.step === undefined) io.err(`Stitching identities and building journeys for ${fmtInt(p.rows)} records...`);
        else if (!verbose) io.err(`  ${p.step.name}: ${p.step.seconds.toFixed(1)} s`);
        return;
      }
      if (!active || p.file !== file) {
        if (active) bar.stop();
        file = p.file;
        bar.start(Math.max(1, p.totalBytes), p.bytesRead, { file: p.file.split('/').pop(), rows: fmtInt(p.rows), rate: fmtInt(rate) });
        active = true;
      } else {
        bar.update(p.bytesRead, { rows: fmtInt(p.rows), rate: fmtInt(rate) });
      }
    },
    stop: () => {
      if (active) bar.stop();
      active = false;
    },
  };
}

/** `import --suggest FILE...`: the mapping each file would be imported with; nothing is imported. */
async function printSuggestions(ctx: CommandContext, files: readonly string[], flags: ImportFlags, json: boolean): Promise<void> {
  const out: Suggestion[] = [];
  for (const f of files) {
    const source = await openSource(f, {
      ...(flags.format !== undefined ? { format: flags.format as Format } : {}),
      ...(flags.delimiter !== undefined ? { delimiter: flags.delimiter === '\\t' ? '\t' : flags.delimiter } : {}),
      ...(flags.encoding !== undefined ? { encoding: flags.encoding as 'utf8' | 'latin1' } : {}),
    });
    out.push(
      await suggestMapping(source, {
        map: parseMapping(flags.map),
        constants: parseConstants(flags.set),
        ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
        ...(flags.kind !== undefined ? { kind: flags.kind as Kind } : {}),
      }),
    );
  }
  if (json) return printJson(ctx.io, out.length === 1 ? out[0] : out);
  ctx.io.out(out.flatMap((s, i) => [...(i > 0 ? [''] : []), ...describeSuggestion(files[i]!, s)]).join('\n'));
}
