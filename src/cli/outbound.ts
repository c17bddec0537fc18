/** `throughline outbound`: what follows the contacts the company starts, and the guard's defaults against it (docs/teams.md). */
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { DEFAULT_FOLLOW_DAYS, outboundReport } from '../engage/index.ts';
import type { OutboundGroup } from '../engage/index.ts';
import { parseBound } from '../journey/filters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { printJson, table } from './output.ts';

interface Flags {
  followDays?: string;
  from?: string;
  to?: string;
}

export function registerOutbound(program: Command, ctx: CommandContext): void {
  program
    .command('outbound')
    .description("what follows outbound contacts (later CSAT, complaints, opt-outs) by channel, kind, the customer's local hour and frequency; checks the guard's quiet hours and caps")
    .option('--follow-days <n>', `days after each contact in which what follows counts (default ${DEFAULT_FOLLOW_DAYS})`)
    .option('--from <date>', 'only contacts on or after this ISO date')
    .option('--to <date>', 'only contacts up to and including this ISO date')
    .action(async (flags: Flags) => {
      const followDays = flags.followDays === undefined ? undefined : Number(flags.followDays);
      if (followDays !== undefined && !Number.isInteger(followDays)) throw new AppError('usage', `--follow-days must be a whole number, not "${flags.followDays}"`);
      const doc = await withStore(ctx, (store) =>
        outboundReport(store, {
          followDays,
          from: flags.from === undefined ? undefined : parseBound('--from', flags.from, false),
          to: flags.to === undefined ? undefined : parseBound('--to', flags.to, true),
        }),
      );
      if (ctx.global().json) return printJson(ctx.io, doc);
      if (doc.contacts === 0) return ctx.io.out('No outbound contacts: import interactions with direction=outbound.');
      const rows = (groups: OutboundGroup[]): (string | number | null)[][] =>
        groups.map((g) => [g.key, g.contacts, g.csat_n, g.csat, ci(g.csat_ci95), g.complaint_pct, g.opt_out_pct, ci(g.opt_out_ci95)]);
      const head = ['contacts', 'CSAT answers', 'CSAT', '95% CI', 'complaint %', 'opt-out %', 'opt-out 95% CI'];
      const q = doc.guard.quiet_hours;
      ctx.io.out(
        [
          `${doc.contacts} outbound contacts; what followed within ${doc.follow_days} days.`,
          '',
          table(['channel', ...head], rows(doc.by_channel)),
          '',
          table(['local hour', ...head], rows(doc.by_hour)),
          '',
          table(['contacts in 7 days', ...head], rows(doc.by_frequency)),
          '',
          `Guard defaults: quiet hours ${q.start}–${q.end} local on ${q.channels.join(', ')}; caps ${doc.guard.frequency_caps.map((c) => `${c.channel} ${c.max} per ${c.days} days`).join(', ')}.`,
          doc.findings.length === 0 ? 'Findings: no group is worse than the rest by 3 standard errors or more.' : 'Findings (worse than the rest by 3 standard errors or more; 95% intervals):',
          ...doc.findings.slice(0, 12).map(
            (f) => `  - ${f.by.replace('_', ' × ')} ${f.key}: ${f.what.replace('_', '-')} ${f.value} against ${f.rest} (difference ${f.difference}, 95% CI ${f.ci95[0]} – ${f.ci95[1]}); ${f.guard}.`,
          ),
          `Caution: ${doc.caution}`,
        ].join('\n'),
      );
    });
}

const ci = (c: [number, number] | null): string => (c === null ? '' : `${c[0]} – ${c[1]}`);
