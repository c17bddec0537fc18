/** `throughline promises`: kept, kept late, open and broken promises, by employee and by kind. */
import type { Command } from 'commander';
import { promisesReport, syncPromiseCases } from '../insight/index.ts';
import type { PromiseTally } from '../insight/index.ts';
import { parseBound } from '../journey/filters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { pct } from './journeys.ts';
import { fmtInt, printJson, table } from './output.ts';

interface Flags {
  asOf?: string;
  openCases?: boolean;
}

export function registerPromises(program: Command, ctx: CommandContext): void {
  program
    .command('promises')
    .description('promises made to customers: kept rate overall, by employee and by kind; open and broken promises (docs/attribution.md)')
    .option('--as-of <date>', 'judge due dates as of this ISO date or time (default: now)')
    .option('--open-cases', 'open a closed-loop case for every broken promise that has none yet')
    .action(async (flags: Flags) => {
      const now = flags.asOf === undefined ? Date.now() : parseBound('--as-of', flags.asOf, false);
      const { doc, opened } = await withStore(ctx, async (store) => {
        const opened = flags.openCases === true ? await store.transaction((tx) => syncPromiseCases(tx, { now })) : [];
        return { doc: await promisesReport(store, { now }), opened };
      });
      if (flags.openCases === true) ctx.io.err(`Opened or joined a case for ${fmtInt(opened.length)} broken promises.`);
      if (ctx.global().json) return printJson(ctx.io, doc);
      if (doc.totals.promises === 0) return ctx.io.out('No promises: import a promises file first.');
      const rate = (t: PromiseTally): string => (t.kept_rate === null ? '-' : pct(t.kept_rate));
      const row = (key: string | null, t: PromiseTally): unknown[] => [key ?? '(none)', t.promises, t.kept, t.kept_late, t.broken, t.open, rate(t)];
      const head = ['made', 'kept', 'kept late', 'broken', 'open', 'kept on time'];
      const t = doc.totals;
      ctx.io.out(
        [
          `${fmtInt(t.promises)} promises as of ${doc.as_of.slice(0, 16).replace('T', ' ')}: ${rate(t)} of those due kept on time, ` +
            `${fmtInt(t.kept_late)} kept late, ${fmtInt(t.broken)} broken (due and not kept), ${fmtInt(t.open)} not yet due.`,
          '',
          table(['kind', ...head], doc.by_kind.map((k) => row(k.kind, k))),
          '',
          table(['employee', ...head], doc.by_agent.slice(0, 15).map((a) => row(a.agent_id, a))),
          '',
          doc.broken.length === 0
            ? 'No broken promises.'
            : table(
                ['broken promise', 'customer', 'kind', 'employee', 'due', 'days overdue', 'case'],
                doc.broken.slice(-15).reverse().map((b) => [b.promise_id, b.customer_key ?? '-', b.kind, b.agent_id ?? '-', b.due_at.slice(0, 10), b.days_overdue, b.case_id ?? '-']),
              ),
        ].join('\n'),
      );
    });
}
