/** `throughline journeys`: how journeys go, overall, per intent and per starting channel. */
import type { Command } from 'commander';
import { parseJourneyFilter, whyNoJourneys } from '../journey/filters.ts';
import type { JourneyFilter } from '../journey/filters.ts';
import { journeysDocument } from '../journey/summary.ts';
import type { JourneyStats } from '../journey/summary.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { fmtInt, printJson, table } from './output.ts';

export interface FilterFlags {
  intent?: string;
  channel?: string;
  from?: string;
  to?: string;
  outcome?: string;
  contains?: string[];
  notContains?: string[];
  startsWith?: string[];
  endsWith?: string[];
  attr?: string[];
  variant?: string;
  minDuration?: string;
  maxDuration?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** The journey filters every journey analysis takes; `outcome` only where it makes sense. */
export function addJourneyFilters(cmd: Command, options: { outcome: boolean } = { outcome: true }): Command {
  cmd
    .option('--intent <intent>', 'only journeys toward this intent')
    .option('--channel <channel>', 'only journeys with a step in this channel')
    .option('--from <date>', 'only journeys that started on or after this ISO date')
    .option('--to <date>', 'only journeys that started on or before this ISO date (a date includes its whole day, UTC)')
    .option('--contains <activities>', 'only journeys with a step of each of these activities (comma-separated, repeatable)', collect)
    .option('--not-contains <activities>', 'only journeys with no step of any of these activities (comma-separated, repeatable)', collect)
    .option('--starts-with <activities>', 'only journeys whose first activity is one of these (comma-separated, repeatable)', collect)
    .option('--ends-with <activities>', 'only journeys whose last activity is one of these (comma-separated, repeatable)', collect)
    .option('--attr <key=value>', 'only journeys with an event carrying this imported attribute (repeatable: all must match)', collect)
    .option('--variant <activities>', 'only journeys whose activity sequence is exactly this one (comma-separated)')
    .option('--min-duration <duration>', 'only journeys that lasted at least this long, first step to last (90s, 30m, 2h, 3d, 1w)')
    .option('--max-duration <duration>', 'only journeys that lasted at most this long, first step to last (90s, 30m, 2h, 3d, 1w)');
  if (options.outcome) cmd.option('--outcome <outcome>', 'only journeys that ended resolved, unresolved or abandoned');
  return cmd;
}

export function journeyFilterFrom(flags: FilterFlags): JourneyFilter {
  return parseJourneyFilter(flags);
}

export function pct(x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(1)}%`;
}

function statsCells(s: JourneyStats): (string | number | null)[] {
  return [s.journeys, pct(s.resolved_rate), pct(s.abandoned_rate), s.median_steps, pct(s.channel_switch_rate), pct(s.assisted_rate), pct(s.containment_rate)];
}

const STATS_HEADERS = ['journeys', 'resolved', 'abandoned', 'median steps', 'switch channel', 'assisted', 'contained'];

export function registerJourneys(program: Command, ctx: CommandContext): void {
  addJourneyFilters(
    program.command('journeys').description('summarise journeys: outcomes, channel switches, assisted contacts, containment, preferred channels'),
  ).action(async (flags: FilterFlags) => {
    const filter = journeyFilterFrom(flags);
    const [doc, none] = await withStore(ctx, async (store) => {
      const found = await journeysDocument(store, filter);
      return [found, found.journeys === 0 ? await whyNoJourneys(store, filter, flags) : null] as const;
    });
    if (ctx.global().json) return printJson(ctx.io, doc);
    if (none !== null) return ctx.io.out(none);
    ctx.io.out(
      [
        doc.resolved_rate === null
          ? `${fmtInt(doc.journeys)} journeys by ${fmtInt(doc.customers)} customers. No step records an outcome, so resolution cannot be computed.`
          : `${fmtInt(doc.journeys)} journeys by ${fmtInt(doc.customers)} customers: ${pct(doc.resolved_rate)} resolved, ${pct(doc.unresolved_rate)} unresolved, ${pct(doc.abandoned_rate)} abandoned.`,
        `Median ${doc.median_steps ?? '-'} steps over ${doc.median_duration_s === null ? '-' : formatSeconds(doc.median_duration_s)}; ` +
          `${pct(doc.channel_switch_rate)} switch channel, ${pct(doc.assisted_rate)} need a person.`,
        doc.digital_journeys === 0
          ? 'Containment cannot be computed: no journey here starts in a digital channel (web or app).'
          : `Containment: ${pct(doc.containment_rate)} of ${fmtInt(doc.digital_journeys)} digital journeys had no call, chat or store visit within 24 hours.`,
        '',
        table(['intent', ...STATS_HEADERS], doc.by_intent.map((i) => [i.intent, ...statsCells(i)])),
        '',
        table(['started in', ...STATS_HEADERS], doc.by_start_channel.map((c) => [c.channel, ...statsCells(c)])),
        '',
        table(['preferred channel', 'customers', 'share'], doc.preferred_channels.map((p) => [p.channel, p.customers, pct(p.share)])),
      ].join('\n'),
    );
  });
}

export function formatSeconds(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}
