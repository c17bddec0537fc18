/**
 * Teams: each team's customer outcomes (adjusted CSAT with its interval, praise, the relationship
 * NPS of the customers it served) beside how its employees feel (eNPS, engagement), and how the
 * two go together across teams, with the caution that it is not causal (docs/teams.md). Employee
 * results appear only for teams with 5 answers or more; nothing here is per person.
 */
import type { ReactNode } from 'react';
import type { TeamRow, TeamsAnalysis, TeamsAssociation } from '../../../src/insight/teams.ts';
import { useApi } from '../data.ts';
import { fixed, int } from '../format.ts';
import { Page, Pill, Show } from '../ui.tsx';

const ci = (c: [number, number] | null, digits: number): string => (c === null ? '' : `${fixed(c[0], digits)} – ${fixed(c[1], digits)}`);

function Enps({ t }: { t: TeamRow }): ReactNode {
  if (t.enps !== null) return <>{fixed(t.enps, 0)}</>;
  if (t.enps_n === 0) return <span className="muted-text">no answers</span>;
  return <Pill tone="info">hidden: {int(t.enps_n)} of 5 answers</Pill>;
}

function Association({ a }: { a: TeamsAssociation }): ReactNode {
  const what = `${a.x === 'enps' ? 'eNPS' : 'Engagement'} and ${a.y === 'adjusted_csat' ? 'adjusted CSAT' : "customers' relationship NPS"}`;
  return (
    <li>
      {what}, across {int(a.teams)} teams:{' '}
      {a.r === null ? (
        'too few teams to say.'
      ) : (
        <>
          <strong>r = {fixed(a.r, 2)}</strong>
          {a.ci95 === null ? ' (no interval with fewer than 4 teams)' : ` (95%: ${fixed(a.ci95[0], 2)} to ${fixed(a.ci95[1], 2)})`}
        </>
      )}
    </li>
  );
}

export default function TeamsPage(): ReactNode {
  const result = useApi<TeamsAnalysis>('teams', { association: true });
  return (
    <Page
      title="Teams"
      intro="Recognition works best for teams. Each team's customer outcomes beside how its people feel; employee answers are shown for a team only from 5 answers on, and never per person."
    >
      <Show result={result} what="teams" isEmpty={(d) => d.teams.length === 0} empty="No teams yet: import a staff directory (--kind staff) and feedback that names employees.">
        {(d) => (
          <>
            <section className="card" aria-labelledby="teams-list-title">
              <h2 id="teams-list-title">Teams</h2>
              <div className="table-wrap">
                <table data-testid="teams-overview-table">
                  <caption className="sr-only">Teams: customer outcomes and employee answers</caption>
                  <thead>
                    <tr>
                      <th scope="col">Team</th>
                      <th scope="col" className="num">People</th>
                      <th scope="col" className="num">Contacts</th>
                      <th scope="col" className="num">Adjusted CSAT</th>
                      <th scope="col">95% interval</th>
                      <th scope="col" className="num">Praise</th>
                      <th scope="col" className="num">Customers' NPS</th>
                      <th scope="col" className="num">eNPS</th>
                      <th scope="col" className="num">Engagement</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.teams.map((t) => (
                      <tr key={t.team}>
                        <th scope="row">{t.team}</th>
                        <td className="num">{int(t.agents)}</td>
                        <td className="num">{int(t.contacts)}</td>
                        <td className="num">
                          <strong>{fixed(t.adjusted_csat, 2)}</strong>
                        </td>
                        <td>{ci(t.ci95, 2)}</td>
                        <td className="num">{int(t.praise)}</td>
                        <td className="num" title={t.relationship_nps_ci95 === null ? '' : `95%: ${ci(t.relationship_nps_ci95, 0)}; ${t.relationship_nps_n} customers`}>
                          {fixed(t.relationship_nps, 0)}
                        </td>
                        <td className="num">
                          <Enps t={t} />
                        </td>
                        <td className="num">{t.engagement === null ? '' : fixed(t.engagement, 1)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            <section className="card" aria-labelledby="association-title">
              <h2 id="association-title">How employees feel and how customers fare</h2>
              <ul className="plain" data-testid="teams-association">
                {d.association.map((a) => (
                  <Association key={`${a.x}-${a.y}`} a={a} />
                ))}
              </ul>
              <p className="note">
                <strong>Not causal.</strong> {d.caution}
              </p>
            </section>
          </>
        )}
      </Show>
    </Page>
  );
}
