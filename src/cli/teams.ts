/** `throughline teams`: each team's customer outcomes beside how its employees feel (docs/teams.md). */
import type { Command } from 'commander';
import { teamsAnalysis } from '../insight/index.ts';
import type { TeamRow, TeamsAssociation } from '../insight/index.ts';
import { parseBound } from '../journey/filters.ts';
import type { CommandContext } from './context.ts';
import { withStore } from './context.ts';
import { printJson, table } from './output.ts';

interface Flags {
  association?: boolean;
  from?: string;
  to?: string;
}

export function registerTeams(program: Command, ctx: CommandContext): void {
  program
    .command('teams')
    .description('each team: contacts, CSAT adjusted for inherited friction, praise, relationship NPS of its customers, and eNPS (shown from 5 answers on); see docs/teams.md')
    .option('--association', 'print {teams, association, caution}: how employee eNPS and customer outcomes go together across teams')
    .option('--from <date>', 'only answers and contacts on or after this ISO date')
    .option('--to <date>', 'only answers and contacts up to and including this ISO date')
    .action(async (flags: Flags) => {
      const options = {
        from: flags.from === undefined ? undefined : parseBound('--from', flags.from, false),
        to: flags.to === undefined ? undefined : parseBound('--to', flags.to, true),
      };
      const analysis = await withStore(ctx, (store) => teamsAnalysis(store, options));
      if (ctx.global().json) return printJson(ctx.io, flags.association ? analysis : analysis.teams);
      if (analysis.teams.length === 0) return ctx.io.out('No teams yet: import a staff directory (--kind staff), or feedback that names employees.');
      ctx.io.out(
        [
          table(
            ['team', 'people', 'contacts', 'adjusted CSAT', '95% CI', 'praise', 'customers NPS', 'eNPS', 'eNPS answers', 'engagement'],
            analysis.teams.map((t) => [t.team, t.agents, t.contacts, t.adjusted_csat, ci(t.ci95), t.praise, t.relationship_nps, t.enps ?? hidden(t), t.enps_n, t.engagement]),
          ),
          '',
          'Adjusted CSAT: what the team would score on contacts of average friction (docs/attribution.md). Customers NPS: relationship NPS',
          'of the customers the team served. eNPS and engagement are shown for a team only from 5 answers on, never per person.',
          '',
          ...analysis.association.map(associationLine),
          `Caution: ${analysis.caution}`,
        ].join('\n'),
      );
    });
}

const ci = (c: [number, number] | null): string => (c === null ? '' : `${c[0].toFixed(2)} – ${c[1].toFixed(2)}`);
const hidden = (t: TeamRow): string => (t.enps_n === 0 ? '' : 'hidden (<5)');

function associationLine(a: TeamsAssociation): string {
  const what = `${a.x} and ${a.y.replaceAll('_', ' ')} across ${a.teams} teams`;
  if (a.r === null) return `${what}: too few teams to say.`;
  return `${what}: r = ${a.r.toFixed(2)}${a.ci95 === null ? ' (no interval with fewer than 4 teams)' : `, 95% CI ${a.ci95[0].toFixed(2)} – ${a.ci95[1].toFixed(2)}`}.`;
}
