/** `throughline variants`: the distinct step sequences of journeys, most frequent first. */
import type { Command } from 'commander';
import { whyNoJourneys } from '../journey/filters.ts';
import { journeyVariants } from '../journey/variants.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { addJourneyFilters, journeyFilterFrom, pct } from './journeys.ts';
import type { FilterFlags } from './journeys.ts';
import { parseBy } from './map.ts';
import { fmtInt, positiveInt, printJson, table } from './output.ts';

export function registerVariants(program: Command, ctx: CommandContext): void {
  addJourneyFilters(
    program
      .command('variants')
      .description('the distinct step sequences of journeys with how many journeys followed each')
      .option('--top <n>', 'list the N most frequent', positiveInt('--top'), 20)
      .option('--by <view>', 'sequences of steps (channel:activity), activities or channels (default: steps, or activities when the channel carries no information)'),
  ).action(async (flags: FilterFlags & { by?: string; top: number }) => {
    const by = parseBy(flags.by);
    const filter = journeyFilterFrom(flags);
    const [doc, none] = await withStore(ctx, async (store) => {
      const found = await journeyVariants(store, { ...filter, ...(by !== undefined ? { by } : {}), top: flags.top });
      return [found, found.journeys === 0 ? await whyNoJourneys(store, filter, flags) : null] as const;
    });
    if (ctx.global().json) return printJson(ctx.io, doc);
    if (none !== null) return ctx.io.out(none);
    ctx.io.out(
      [
        `${fmtInt(doc.journeys)} journeys follow ${fmtInt(doc.distinct_variants)} distinct sequences; the ${fmtInt(doc.variants.length)} most frequent:`,
        '',
        table(
          ['journeys', 'share', 'steps', 'sequence'],
          doc.variants.map((v) => [v.count, pct(v.count / doc.journeys), v.sequence.length, v.sequence.join(' → ')]),
        ),
      ].join('\n'),
    );
  });
}
