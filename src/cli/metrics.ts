/** `throughline metrics`: NPS, CSAT and CES with 95% intervals, relationship and transaction apart. */
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { computeMetrics, METRICS_BY } from '../feedback/metrics.ts';
import type { MetricSet, MetricsBy } from '../feedback/metrics.ts';
import { parseBound } from '../journey/filters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { printJson, table } from './output.ts';

interface Flags {
  by?: string;
  from?: string;
  to?: string;
}

export function registerMetrics(program: Command, ctx: CommandContext): void {
  program
    .command('metrics')
    .description('NPS, CSAT and CES with 95% confidence intervals; relationship and transaction answers never mixed (docs/feedback.md)')
    .option('--by <dimension>', `break down by ${METRICS_BY.join(', ')} (agent and store_staff: transaction answers only)`)
    .option('--from <date>', 'only answers on or after this ISO date')
    .option('--to <date>', 'only answers up to and including this ISO date')
    .action(async (flags: Flags) => {
      if (flags.by !== undefined && !(METRICS_BY as readonly string[]).includes(flags.by)) {
        throw new AppError('usage', `--by ${flags.by} is not a breakdown`, { hint: `use one of ${METRICS_BY.join(', ')}` });
      }
      const options = {
        by: flags.by as MetricsBy | undefined,
        from: flags.from === undefined ? undefined : parseBound('--from', flags.from, false),
        to: flags.to === undefined ? undefined : parseBound('--to', flags.to, true),
      };
      const doc = await withStore(ctx, (store) => computeMetrics(store, options));
      if (ctx.global().json) return printJson(ctx.io, doc);
      const lines = [
        table(['metric', 'scope', 'n', 'score', '95% CI', 'detail'], rowsOf(doc)),
        '',
        'NPS: % promoters (9–10) − % detractors (0–6). CSAT: % of 4–5 answers. CES: mean on 1–7 (7 = easiest). * = fewer than 30 answers.',
      ];
      if (doc.by !== undefined) {
        lines.push(
          '',
          table(
            [doc.breakdown ?? 'key', 'rel. NPS', 'n', 'tx NPS', 'n', 'CSAT %', 'n', 'CES', 'n'],
            doc.by.map((g) => [
              g.key ?? '(none)',
              fmt(g.nps.relationship?.score, g.nps.relationship?.small_n),
              g.nps.relationship?.n ?? '-',
              fmt(g.nps.transaction?.score, g.nps.transaction?.small_n),
              g.nps.transaction?.n ?? '-',
              fmt(g.csat.transaction?.score, g.csat.transaction?.small_n),
              g.csat.transaction?.n ?? '-',
              fmt(g.ces.transaction?.score, g.ces.transaction?.small_n, 2),
              g.ces.transaction?.n ?? '-',
            ]),
          ),
        );
        if (doc.breakdown === 'agent' || doc.breakdown === 'store_staff') lines.push('Employees are scored on transaction answers about them only, never on relationship NPS.');
      }
      ctx.io.out(lines.join('\n'));
    });
}

function fmt(v: number | null | undefined, small: boolean | undefined, digits = 1): string {
  if (v === null || v === undefined) return '-';
  return `${v.toFixed(digits)}${small ? '*' : ''}`;
}

function rowsOf(m: MetricSet): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const scope of ['relationship', 'transaction'] as const) {
    const n = m.nps[scope];
    if (n !== null && n.n > 0) rows.push(['NPS', scope, n.n, fmt(n.score, n.small_n), ci(n.ci95), `${n.promoters} promoters, ${n.passives} passives, ${n.detractors} detractors`]);
    const c = m.csat[scope];
    if (c !== null && c.n > 0) rows.push(['CSAT %', scope, c.n, fmt(c.score, c.small_n), ci(c.ci95), `mean ${c.mean?.toFixed(2)}`]);
    const e = m.ces[scope];
    if (e !== null && e.n > 0) rows.push(['CES', scope, e.n, fmt(e.score, e.small_n, 2), ci(e.ci95), `${e.percent_easy?.toFixed(1)}% easy (5–7)`]);
  }
  if (rows.length === 0) rows.push(['-', '-', 0, '-', '-', 'no answers: import feedback first']);
  return rows;
}

function ci(c: [number, number] | null): string {
  return c === null ? '-' : `${c[0].toFixed(1)} – ${c[1].toFixed(1)}`;
}
