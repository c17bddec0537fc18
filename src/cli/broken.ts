/** `throughline broken`: the steps that fail beyond normal, ranked by what their failures cost. */
import type { Command } from 'commander';
import { brokenSteps } from '../journey/broken.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { addJourneyFilters, journeyFilterFrom, pct } from './journeys.ts';
import type { FilterFlags } from './journeys.ts';
import { positiveInt, printJson, table } from './output.ts';

export function registerBroken(program: Command, ctx: CommandContext): void {
  addJourneyFilters(
    program
      .command('broken')
      .description('rank broken steps by impact: excess customers hit × (extra assisted contacts + satisfaction lost); see docs/journeys.md')
      .option('--top <n>', 'list the N steps with the most impact', positiveInt('--top'), 10),
    { outcome: false },
  ).action(async (flags: FilterFlags & { top: number }) => {
    const filter = journeyFilterFrom(flags);
    const steps = await withStore(ctx, (store) => brokenSteps(store, { ...filter, top: flags.top }));
    if (ctx.global().json) return printJson(ctx.io, steps);
    if (steps.length === 0) return ctx.io.out('No step has a failed, abandoned or transferred outcome.');
    ctx.io.out(
      [
        'Steps ranked by impact: customers hit beyond the normal failure rate × (extra assisted contacts + satisfaction lost).',
        '',
        table(
          ['step', 'events', 'failed', 'normal', 'customers', 'switch', 'repeat', 'extra contacts', 'satisfaction drop', 'impact'],
          steps.map((s) => [
            `${s.channel}:${s.activity}`,
            s.events,
            pct(s.failure_rate),
            pct(s.expected_failure_rate),
            s.customers_affected,
            pct(s.switch_rate),
            pct(s.repeat_contact_rate),
            s.extra_contacts_per_failure,
            s.satisfaction_drop === null ? '-' : s.satisfaction_drop.toFixed(3),
            s.impact,
          ]),
        ),
      ].join('\n'),
    );
  });
}
