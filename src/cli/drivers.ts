/** `throughline drivers`: the experiences that make customers detractors, each with its own effect. */
import type { Command } from 'commander';
import { DEFAULT_MIN_EXPOSED, DEFAULT_WINDOW_DAYS, driversReport } from '../insight/index.ts';
import type { DriverMetric } from '../insight/index.ts';
import { parseBound } from '../journey/filters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { pct } from './journeys.ts';
import { positiveInt, printJson, table } from './output.ts';

interface Flags {
  metric: string;
  top: number;
  windowDays: number;
  minExposed: number;
  from?: string;
  to?: string;
}

export function registerDrivers(program: Command, ctx: CommandContext): void {
  program
    .command('drivers')
    .description('what makes customers detractors: failures per step, channel switches, repeat contacts, broken promises, employees; effects from one regression of all of them (docs/attribution.md)')
    .option('--metric <metric>', 'nps (relationship NPS 0–6 is a detractor) or csat (CSAT 1–3)', 'nps')
    .option('--top <n>', 'list the N strongest', positiveInt('--top'), 15)
    .option('--window-days <d>', 'experiences in this many days before each answer', positiveInt('--window-days', 3660), DEFAULT_WINDOW_DAYS)
    .option('--min-exposed <n>', 'factors met by fewer answers are pooled or left out', positiveInt('--min-exposed'), DEFAULT_MIN_EXPOSED)
    .option('--from <date>', 'only answers on or after this ISO date')
    .option('--to <date>', 'only answers up to and including this ISO date')
    .action(async (flags: Flags) => {
      const options = {
        metric: flags.metric as DriverMetric,
        top: flags.top,
        windowDays: flags.windowDays,
        minExposed: flags.minExposed,
        from: flags.from === undefined ? undefined : parseBound('--from', flags.from, false),
        to: flags.to === undefined ? undefined : parseBound('--to', flags.to, true),
      };
      const drivers = await withStore(ctx, (store) => driversReport(store, options));
      if (ctx.global().json) return printJson(ctx.io, drivers);
      if (drivers.length === 0) return ctx.io.out('Not enough answers with both detractors and others to find drivers.');
      const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
      ctx.io.out(
        [
          table(
            ['factor', 'exposed', 'detractors if exposed', 'if not', 'lift', 'effect (points)', '95% CI', 'accounts for'],
            drivers.map((d) => [d.factor, d.exposed, pct(d.detractor_rate_exposed), pct(d.detractor_rate_unexposed), d.lift ?? '-', signed(d.effect), `${signed(d.ci95[0])} – ${signed(d.ci95[1])}`, d.attributable]),
          ),
          '',
          `Effect: how many more of the exposed answers (in percentage points) were detractors because of the factor, with every`,
          `other factor held as it was. "Accounts for": detractors explained by it. Experiences in the ${flags.windowDays} days before each answer.`,
        ].join('\n'),
      );
    });
}
