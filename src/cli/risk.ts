/** `throughline risk`: who is likely to leave in the next 30 days, and why, in plain words. */
import type { Command } from 'commander';
import { DEFAULT_HORIZON_DAYS, riskAnalysis } from '../insight/index.ts';
import { parseBound } from '../journey/filters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { positiveInt, printJson, table } from './output.ts';

interface Flags {
  top: number;
  asOf?: string;
  horizonDays: number;
}

export function registerRisk(program: Command, ctx: CommandContext): void {
  program
    .command('risk')
    .description('switching risk per customer: the chance of cancelling within 30 days, from a model fitted on this store\'s own history (docs/risk.md)')
    .option('--top <n>', 'list the N customers most at risk', positiveInt('--top'), 25)
    .option('--as-of <date>', 'score as of this ISO date or time (default: the latest record in the store)')
    .option('--horizon-days <d>', 'the period the score is about, and the fit\'s look-back', positiveInt('--horizon-days', 3660), DEFAULT_HORIZON_DAYS)
    .action(async (flags: Flags) => {
      const options = { top: flags.top, horizonDays: flags.horizonDays, asOf: flags.asOf === undefined ? undefined : parseBound('--as-of', flags.asOf, false) };
      const { scores, model } = await withStore(ctx, (store) => riskAnalysis(store, options));
      if (ctx.global().json) return printJson(ctx.io, scores);
      if (scores.length === 0) return ctx.io.out('No customers to score: import interactions first.');
      ctx.io.out(
        [
          table(
            ['customer', 'risk', 'hidden at risk', 'why'],
            scores.map((s) => [s.customer_key, `${(s.score * 100).toFixed(1)}%`, s.hidden_at_risk ? 'yes' : '', s.reasons.join('; ') || '-']),
          ),
          '',
          `Risk: the chance of cancelling within ${model.horizon_days} days of ${model.as_of.slice(0, 10)}. ` +
            (model.source === 'fitted'
              ? `Model fitted on this store: signals on ${model.fitted_at.slice(0, 10)} against the ${model.training_cancellations} cancellations since, among ${model.training_customers} customers.`
              : 'No cancellations in the look-back yet: scored with the documented prior coefficients.'),
        ].join('\n'),
      );
    });
}
