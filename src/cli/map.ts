/** `throughline map`: the directly-follows graph of journey steps, with start and end counts. */
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { whyNoJourneys } from '../journey/filters.ts';
import { journeyMap, MAP_BY } from '../journey/map.ts';
import type { MapBy } from '../journey/map.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { addJourneyFilters, formatSeconds, journeyFilterFrom } from './journeys.ts';
import type { FilterFlags } from './journeys.ts';
import { fmtInt, positiveInt, printJson, table } from './output.ts';

/** The view asked for, or undefined to let the data choose (defaultView). */
export function parseBy(value: string | undefined): MapBy | undefined {
  if (value === undefined) return undefined;
  if (!(MAP_BY as readonly string[]).includes(value)) {
    throw new AppError('usage', `--by ${value} is not a view`, { hint: `use one of ${MAP_BY.join(', ')}` });
  }
  return value as MapBy;
}

/** How many edges the table shows; --json always has them all. */
const TABLE_EDGES = 40;

export function registerMap(program: Command, ctx: CommandContext): void {
  addJourneyFilters(
    program
      .command('map')
      .description('the journey map: which step directly follows which, how often and how long after')
      .option('--by <view>', 'nodes are steps (channel:activity), activities or channels (default: steps, or activities when the channel carries no information)')
      .option('--top <n>', 'keep only the N most frequent edges', positiveInt('--top'))
      .option('--min-count <n>', 'keep only edges followed at least N times', positiveInt('--min-count')),
  ).action(async (flags: FilterFlags & { by?: string; top?: number; minCount?: number }) => {
    const filter = journeyFilterFrom(flags);
    const [map, none] = await withStore(ctx, async (store) => {
      const doc = await journeyMap(store, {
        ...filter,
        ...(flags.by !== undefined ? { by: parseBy(flags.by) } : {}),
        ...(flags.top !== undefined ? { top: flags.top } : {}),
        ...(flags.minCount !== undefined ? { minCount: flags.minCount } : {}),
      });
      return [doc, doc.journeys === 0 ? await whyNoJourneys(store, filter, flags) : null] as const;
    });
    if (ctx.global().json) return printJson(ctx.io, map);
    if (none !== null) return ctx.io.out(none);
    const shown = map.edges.slice(0, TABLE_EDGES);
    ctx.io.out(
      [
        `${fmtInt(map.journeys)} journeys, ${fmtInt(map.nodes.length)} ${map.by === 'step' ? 'steps' : `${map.by === 'activity' ? 'activities' : 'channels'}`}, ${fmtInt(map.edges.length)} directly-follows edges.`,
        '',
        table(
          ['from', 'to', 'count', 'median gap', 'mean gap', 'p90 gap'],
          shown.map((e) => [e.from, e.to, e.count, ...[e.median_seconds, e.mean_seconds, e.p90_seconds].map((x) => (x === null ? null : formatSeconds(x)))]),
        ),
        ...(map.edges.length > shown.length ? [`(${fmtInt(map.edges.length - shown.length)} more edges: use --json for all)`] : []),
        '',
        table(['starts with', 'journeys'], Object.entries(map.start)),
        '',
        table(['ends with', 'journeys'], Object.entries(map.end)),
      ].join('\n'),
    );
  });
}
