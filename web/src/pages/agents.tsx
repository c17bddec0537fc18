/**
 * Agents and teams: raw CSAT beside CSAT adjusted for the friction each employee inherited
 * (docs/attribution.md), with 95% intervals, teams first. People are listed by team unless the
 * reader asks for the individual ranking, which carries its limits beside it (docs/teams.md).
 * A leader sees who is being blamed for failures upstream of them.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { AgentScore, AgentsAnalysis, TeamScore } from '../../../src/insight/agents.ts';
import { INDIVIDUAL_LIMITS } from '../../../src/insight/limits.ts';
import { useApi } from '../data.ts';
import { fixed, int, pct } from '../format.ts';
import { setQuery, useLocation } from '../router.tsx';
import { Empty, Field, IntervalBar, Loading, Page, Pill, Show } from '../ui.tsx';

/** `GET /api/v1/agents` lists people (the CLI document); a server may also answer the whole analysis. */
type Named = AgentScore & { name?: string | null };

function normalise(doc: AgentsAnalysis | Named[]): AgentsAnalysis & { agents: Named[] } {
  return Array.isArray(doc) ? { agents: doc, teams: [], model: null } : doc;
}

type Row = Pick<AgentScore, 'raw_csat' | 'adjusted_csat' | 'ci95' | 'inherited_friction' | 'friction_share' | 'rank_raw' | 'rank_adjusted' | 'responses' | 'contacts'>;

/** Rank moves of this many places or more are called out. */
const BLAMED = 3;

function scale(rows: readonly Row[]): { min: number; max: number } {
  const xs = rows.flatMap((r) => [r.raw_csat, r.adjusted_csat, r.ci95[0], r.ci95[1]]).filter(Number.isFinite);
  if (xs.length === 0) return { min: 1, max: 5 };
  return { min: Math.max(1, Math.floor(Math.min(...xs) * 2) / 2), max: Math.min(5, Math.ceil(Math.max(...xs) * 2) / 2) };
}

function ScoreCells({ r, s, name }: { r: Row; s: { min: number; max: number }; name: string }): ReactNode {
  const moved = r.rank_raw - r.rank_adjusted;
  return (
    <>
      <td className="num">{fixed(r.raw_csat, 2)}</td>
      <td className="num">
        <strong>{fixed(r.adjusted_csat, 2)}</strong>
      </td>
      <td className="bar-cell">
        <IntervalBar
          min={s.min}
          max={s.max}
          lo={r.ci95[0]}
          hi={r.ci95[1]}
          value={r.adjusted_csat}
          other={r.raw_csat}
          label={`${name}: raw ${fixed(r.raw_csat, 2)}, adjusted ${fixed(r.adjusted_csat, 2)}, 95% interval ${fixed(r.ci95[0], 2)} to ${fixed(r.ci95[1], 2)}`}
        />
      </td>
      <td className="num">{fixed(r.inherited_friction, 2)}</td>
      <td className="num">{pct(r.friction_share, 0)}</td>
      <td className="num">
        {r.rank_raw} → {r.rank_adjusted}{' '}
        {moved >= BLAMED && r.inherited_friction > 0 ? (
          <Pill tone="warn">blamed for upstream</Pill>
        ) : moved <= -BLAMED ? (
          // Few answers are pulled towards the middle by the model: that, not easy contacts, may be why.
          <Pill tone="info">{r.responses < 5 ? 'few answers' : 'easier contacts'}</Pill>
        ) : null}
      </td>
    </>
  );
}

function Head({ first }: { first: string }): ReactNode {
  return (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        <th scope="col" className="num">
          Answers
        </th>
        <th scope="col" className="num">
          Raw CSAT
        </th>
        <th scope="col" className="num">
          Adjusted
        </th>
        <th scope="col">
          <span className="sr-only">Interval: </span>
          <span className="key-dot other" aria-hidden="true" /> raw <span className="key-dot" aria-hidden="true" /> adjusted, band 95%
        </th>
        <th scope="col" className="num" title="CSAT points the friction of their contacts costs on average">
          Inherited friction
        </th>
        <th scope="col" className="num" title="Share of their contacts that inherited friction">
          Contacts with friction
        </th>
        <th scope="col" className="num">
          Rank raw → adjusted
        </th>
      </tr>
    </thead>
  );
}

function Teams({ teams, onPick }: { teams: TeamScore[]; onPick: (t: string) => void }): ReactNode {
  const s = scale(teams);
  return (
    <div className="table-wrap">
      <table data-testid="teams-table">
        <caption className="sr-only">Teams, raw and adjusted CSAT</caption>
        <Head first="Team" />
        <tbody>
          {teams.map((t) => (
            <tr key={t.team}>
              <th scope="row">
                <button type="button" className="link-button" onClick={() => onPick(t.team)}>
                  {t.team}
                </button>{' '}
                <span className="muted-text">{int(t.agents)} people</span>
              </th>
              <td className="num">{int(t.responses)}</td>
              <ScoreCells r={t} s={s} name={t.team} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Agents({ agents }: { agents: Named[] }): ReactNode {
  const s = scale(agents);
  return (
    <div className="table-wrap">
      <table data-testid="agents-table">
        <caption className="sr-only">Employees, raw and adjusted CSAT</caption>
        <Head first="Employee" />
        <tbody>
          {agents.map((a) => (
            <tr key={a.agent_id}>
              <th scope="row">
                {a.name ?? a.agent_id} <span className="muted-text">{a.name ? `${a.agent_id} · ` : ''}{a.team}</span>
              </th>
              <td className="num">{int(a.responses)}</td>
              <ScoreCells r={a} s={s} name={a.agent_id} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function AgentsPage(): ReactNode {
  const result = useApi<AgentsAnalysis | Named[]>('agents');
  const teamResult = useApi<TeamScore[]>('agents', { by: 'team' });
  const { query } = useLocation();
  const team = query.get('team') ?? '';
  // By team unless the reader asks for a ranking of people: team is the unit of recognition.
  const [sort, setSort] = useState<'team' | 'adjusted' | 'raw' | 'friction'>('team');

  return (
    <Page
      title="Agents and teams"
      intro="Raw CSAT is what customers answered; adjusted CSAT is what each person would score on an average contact, once the failures and waits they inherited are taken out. Intervals are 95%."
    >
      <Show result={result} what="agent scores" isEmpty={(d) => normalise(d).agents.length === 0} empty="No transaction CSAT answers about employees yet: import feedback that names an agent_id.">
        {(doc) => {
          const d = normalise(doc);
          const agents = d.agents
            .filter((a) => team === '' || a.team === team)
            .sort((a, b) => (sort === 'raw' ? a.rank_raw - b.rank_raw : sort === 'friction' ? b.inherited_friction - a.inherited_friction : sort === 'adjusted' ? a.rank_adjusted - b.rank_adjusted : 0));
          const teams = [...(teamResult.status === 'ok' ? teamResult.data : d.teams)].sort((a, b) => a.rank_adjusted - b.rank_adjusted);
          if (sort === 'team') {
            // The server lists people by team already; a server that does not is put in team order here.
            const order = new Map(teams.map((t, i) => [t.team, i]));
            agents.sort((a, b) => (order.get(a.team) ?? 1e9) - (order.get(b.team) ?? 1e9));
          }
          return (
            <>
              <section className="card" aria-labelledby="teams-title">
                <h2 id="teams-title">Teams</h2>
                {teamResult.status === 'loading' ? (
                  <Loading what="teams" />
                ) : teams.length === 0 ? (
                  <Empty>No team roll-up: the staff directory has no teams, or this server does not offer it.</Empty>
                ) : (
                  <Teams teams={teams} onPick={(t) => setQuery({ team: t })} />
                )}
              </section>
              <section className="card" aria-labelledby="agents-title">
                <h2 id="agents-title">People{team === '' ? '' : ` in ${team}`}</h2>
                <form className="filters" onSubmit={(e) => e.preventDefault()}>
                  <Field label="Team">
                    <select value={team} onChange={(e) => setQuery({ team: e.target.value })}>
                      <option value="">All teams</option>
                      {[...new Set(d.agents.map((a) => a.team))].sort().map((t) => (
                        <option key={t} value={t}>
                          {t}
                        </option>
                      ))}
                    </select>
                  </Field>
                  <Field label="Order by">
                    <select value={sort} onChange={(e) => setSort(e.target.value as typeof sort)}>
                      <option value="team">Team</option>
                      <option value="adjusted">Adjusted CSAT (a ranking of people)</option>
                      <option value="raw">Raw CSAT</option>
                      <option value="friction">Inherited friction</option>
                    </select>
                  </Field>
                </form>
                <p className="note" data-testid="individual-limits">
                  {sort === 'team' ? 'People are listed by team, teams in order of adjusted CSAT. ' : ''}
                  <strong>Limits:</strong> {INDIVIDUAL_LIMITS}
                </p>
                <Agents agents={agents} />
              </section>
              {d.model !== null && (
                <section className="card" aria-labelledby="model-title">
                  <h2 id="model-title">What friction costs</h2>
                  <p className="note">
                    Fitted on {int(d.model.answers)} answers about {int(d.model.employees)} people. Each line is the CSAT points a contact loses when it inherited that friction.
                  </p>
                  <ul className="plain">
                    {d.model.coefficients
                      .filter((c) => c.term !== 'intercept')
                      .map((c) => (
                        <li key={c.term}>
                          {c.term.replace(/_/g, ' ')}: <strong>{fixed(c.estimate, 2)}</strong> (95%: {fixed(c.ci95[0], 2)} to {fixed(c.ci95[1], 2)})
                        </li>
                      ))}
                  </ul>
                </section>
              )}
            </>
          );
        }}
      </Show>
    </Page>
  );
}
