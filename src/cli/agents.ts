/** `throughline agents`: fair agent and store-staff scores, CSAT adjusted for inherited friction. */
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { AGENT_SORTS, agentsAnalysis, INDIVIDUAL_LIMITS, namedAgents } from '../insight/index.ts';
import type { AgentSort } from '../insight/index.ts';
import type { AgentModel } from '../insight/index.ts';
import { parseBound } from '../journey/filters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { printJson, table } from './output.ts';

interface Flags {
  by?: string;
  sort?: string;
  from?: string;
  to?: string;
}

export function registerAgents(program: Command, ctx: CommandContext): void {
  program
    .command('agents')
    .description('each employee\'s CSAT adjusted for the friction they inherited (earlier failures, transfers, repeats, overdue promises, waits); see docs/attribution.md')
    .option('--by <rollup>', 'team: roll employees up into their teams')
    .option('--sort <order>', 'team (default): people grouped by team, teams by adjusted CSAT, names within; rank: the individual ranking')
    .option('--from <date>', 'only answers and contacts on or after this ISO date')
    .option('--to <date>', 'only answers and contacts up to and including this ISO date')
    .action(async (flags: Flags) => {
      if (flags.by !== undefined && flags.by !== 'team' && flags.by !== 'agent') {
        throw new AppError('usage', `--by ${flags.by} is not a roll-up`, { hint: 'use --by team, or leave it out for individuals' });
      }
      const options = {
        from: flags.from === undefined ? undefined : parseBound('--from', flags.from, false),
        to: flags.to === undefined ? undefined : parseBound('--to', flags.to, true),
      };
      if (flags.sort !== undefined && !(AGENT_SORTS as readonly string[]).includes(flags.sort)) {
        throw new AppError('usage', `--sort ${flags.sort} is not an order`, { hint: 'use --sort team (the default) or --sort rank' });
      }
      const sort = (flags.sort ?? 'team') as AgentSort;
      const { analysis, people } = await withStore(ctx, async (store) => {
        const a = await agentsAnalysis(store, options);
        return { analysis: a, people: await namedAgents(store, a.agents, a.teams, sort) };
      });
      const byTeam = flags.by === 'team';
      if (ctx.global().json) return printJson(ctx.io, byTeam ? analysis.teams : people);
      if (analysis.agents.length === 0) return ctx.io.out('No transaction CSAT answers name an employee: import feedback with agent_id or event_id first.');
      const ci = (c: [number, number]): string => `${c[0].toFixed(2)} – ${c[1].toFixed(2)}`;
      const rows = byTeam
        ? analysis.teams.map((t) => [t.rank_adjusted, t.team, t.agents, t.contacts, t.responses, t.raw_csat, t.adjusted_csat, ci(t.ci95), t.inherited_friction, t.rank_raw])
        : people.map((a) => [a.team, a.agent_id, a.name ?? '', a.contacts, a.responses, a.raw_csat, a.adjusted_csat, ci(a.ci95), a.inherited_friction, a.rank_adjusted]);
      const head = byTeam ? ['rank', 'team', 'people'] : ['team', 'employee', 'name'];
      const last = byTeam ? 'raw rank' : 'rank';
      ctx.io.out(
        [
          table([...head, 'contacts', 'answers', 'raw CSAT', 'adjusted', '95% CI', 'inherited friction', last], rows),
          ...(byTeam ? [] : ['', `Limits: ${INDIVIDUAL_LIMITS}`]),
          '',
          'CSAT is the mean answer (1–5). Adjusted: the expected CSAT on a contact with average friction, shrunk towards the',
          'average when answers are few. Inherited friction: CSAT points the situations they walked into cost, on average.',
          ...modelLines(analysis.model),
        ].join('\n'),
      );
    });
}

function modelLines(model: AgentModel | null): string[] {
  if (model === null) return [];
  const terms = model.coefficients.filter((c) => c.term !== 'intercept').map((c) => `${c.term.replaceAll('_', ' ')} ${c.estimate >= 0 ? '+' : ''}${c.estimate.toFixed(2)}`);
  return [
    `Model (${model.answers} answers, ${model.employees} employees): ${terms.join(', ')} CSAT points;`,
    `employees truly differ by ±${model.employee_sd.toFixed(2)} (sd), single answers by ±${model.residual_sd.toFixed(2)}.`,
    `How far to trust the ranking (friction and employees go together: ${model.confounding.level}): ${model.confounding.meaning}`,
  ];
}
