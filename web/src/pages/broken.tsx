/**
 * Broken steps: the steps that fail more than is normal for their kind, ranked by impact, with
 * what customers did next and the satisfaction it cost. A step's own page adds where its
 * journeys went and the journeys that pass through it.
 */
import type { ReactNode } from 'react';
import type { BrokenStep } from '../../../src/journey/broken.ts';
import type { JourneyMap } from '../../../src/journey/map.ts';
import type { Variants } from '../../../src/journey/variants.ts';
import { useApi } from '../data.ts';
import { drillTo } from '../drill-link.ts';
import { fixed, int, pct, seconds, splitStep } from '../format.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { Empty, Page, Show } from '../ui.tsx';
import { JourneyFilterBar, journeyQuery, useJourneyFilters } from '../journey-filters.tsx';

const stepId = (b: BrokenStep): string => `${b.channel}:${b.activity}`;

/** Satisfaction is 0–1 in the document; people read points on a 0–100 scale. */
function points(x: number | null): string {
  return x === null ? '–' : `${x > 0 ? '−' : '+'}${Math.abs(Math.round(x * 100))} pts`;
}

function BrokenTable({ steps }: { steps: BrokenStep[] }): ReactNode {
  return (
    <div className="table-wrap">
      <table data-testid="broken-table">
        <caption className="sr-only">Broken steps ranked by impact</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              #
            </th>
            <th scope="col">Step</th>
            <th scope="col" className="num">
              Fails
            </th>
            <th scope="col" className="num">
              Normal
            </th>
            <th scope="col" className="num">
              Customers
            </th>
            <th scope="col">What happened next</th>
            <th scope="col" className="num">
              Satisfaction lost
            </th>
            <th scope="col" className="num">
              Impact <span className="muted-text">(customer-equivalents)</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {steps.map((b, i) => (
            <tr key={stepId(b)}>
              <td className="num">{i + 1}</td>
              <td>
                <Link to={`/broken/${encodeURIComponent(stepId(b))}`}>{stepId(b)}</Link>
              </td>
              <td className="num bad-text">{pct(b.failure_rate)}</td>
              <td className="num">{pct(b.expected_failure_rate)}</td>
              <td className="num">
                <Link to={drillTo({ of: 'step', node: stepId(b), failed: true })} data-drill="step" title={`The journeys of the ${b.customers_affected} customers who met a failure here`}>
                  {int(b.customers_affected)}
                </Link>
              </td>
              <td className="next-cell">
                {pct(b.switch_rate, 0)} switched channel · {pct(b.repeat_contact_rate, 0)} tried again · {fixed(b.extra_contacts_per_failure, 2)} extra contacts each · {pct(b.unresolved_rate, 0)}{' '}
                unresolved
              </td>
              <td className="num">{points(b.satisfaction_drop)}</td>
              <td className="num">
                <strong>{fixed(b.impact, 1)}</strong>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StepDetail({ id }: { id: string }): ReactNode {
  const filters = useJourneyFilters();
  const q = journeyQuery(filters);
  const broken = useApi<BrokenStep[]>('broken', { ...q, top: 1000 });
  const map = useApi<JourneyMap>('map', q);
  const { activity } = splitStep(id);
  // Activities are written intent/step, so the step's own intent narrows the variants to its journeys.
  const intent = filters.intent !== '' ? filters.intent : activity.includes('/') ? activity.split('/')[0]! : '';
  const variants = useApi<Variants>('variants', { ...q, intent, top: 500 });

  return (
    <Page title={`Broken step ${id}`} intro={<Link to="/broken">← All broken steps</Link>}>
      <Show result={broken} what="the step">
        {(all) => {
          const b = all.find((x) => stepId(x) === id);
          if (b === undefined) return <Empty>{id} has no failures with these filters.</Empty>;
          return (
            <div className="figures">
              <div className="figure static">
                <span className="figure-label">Failure rate</span>
                <span className="figure-value bad-text">{pct(b.failure_rate)}</span>
                <span className="figure-detail">
                  {int(b.failures)} of {int(b.events)} · normal {pct(b.expected_failure_rate)}
                </span>
              </div>
              <div className="figure static">
                <span className="figure-label">Customers affected</span>
                <span className="figure-value">{int(b.customers_affected)}</span>
                <span className="figure-detail">{fixed(b.excess_customers, 0)} beyond normal</span>
              </div>
              <div className="figure static">
                <span className="figure-label">Satisfaction lost</span>
                <span className="figure-value">{points(b.satisfaction_drop)}</span>
                <span className="figure-detail">
                  {b.satisfaction_failed === null ? 'too few answers' : `${pct(b.satisfaction_failed, 0)} vs ${pct(b.satisfaction_baseline, 0)} (${int(b.satisfaction_answers)} answers)`}
                </span>
              </div>
              <div className="figure static">
                <span className="figure-label">Failures by kind</span>
                <span className="figure-detail">
                  {Object.entries(b.by_kind)
                    .map(([k, n]) => `${k} ${int(n)}`)
                    .join(' · ')}
                </span>
              </div>
              <div className="figure static">
                <span className="figure-label">After the failure</span>
                <span className="figure-detail">
                  {pct(b.switch_rate, 0)} switched channel, {pct(b.repeat_contact_rate, 0)} tried again, {fixed(b.contacts_per_failure, 2)} assisted contacts per failed journey (
                  {fixed(b.extra_contacts_per_failure, 2)} more than usual), {pct(b.unresolved_rate, 0)} unresolved
                </span>
              </div>
            </div>
          );
        }}
      </Show>
      <div className="grid two">
        <section className="card" aria-labelledby="next-title">
          <h2 id="next-title">Where journeys went next</h2>
          <Show result={map} what="the next steps">
            {(m) => {
              const next = m.edges.filter((e) => e.from === id).sort((a, b) => b.count - a.count);
              if (next.length === 0) return <Empty>Nothing follows this step.</Empty>;
              return (
                <table className="compact">
                  <thead>
                    <tr>
                      <th scope="col">Next step</th>
                      <th scope="col" className="num">
                        Times
                      </th>
                      <th scope="col" className="num">
                        Median wait
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {next.map((e) => (
                      <tr key={e.to}>
                        <td>{e.to}</td>
                        <td className="num">{int(e.count)}</td>
                        <td className="num">{seconds(e.median_seconds)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              );
            }}
          </Show>
          <p>
            <Link to={`/map?${new URLSearchParams({ ...(intent === '' ? {} : { intent }), step: id }).toString()}`}>See it on the journey map</Link>
          </p>
        </section>
        <section className="card" aria-labelledby="examples-title">
          <h2 id="examples-title">Journeys through this step</h2>
          <Show result={variants} what="journeys">
            {(v) => {
              const through = v.variants.filter((x) => x.sequence.includes(id));
              if (through.length === 0) return <Empty>No common journey passes here.</Empty>;
              return (
                <ol className="variants">
                  {through.slice(0, 10).map((x) => (
                    <li key={x.sequence.join('>')}>
                      <span className="count">{int(x.count)}×</span>{' '}
                      {x.sequence.map((s, i) => (
                        <span key={i} className={s === id ? 'seq here' : 'seq'}>
                          {s}
                        </span>
                      ))}
                    </li>
                  ))}
                </ol>
              );
            }}
          </Show>
        </section>
      </div>
    </Page>
  );
}

export default function BrokenPage(): ReactNode {
  const { path } = useLocation();
  const filters = useJourneyFilters();
  const detail = path.startsWith('/broken/') ? decodeURIComponent(path.slice('/broken/'.length)) : null;
  const { query } = useLocation();
  const all = query.get('all') === '1';
  const broken = useApi<BrokenStep[]>(detail === null ? 'broken' : null, { intent: filters.intent, from: filters.from, to: filters.to, top: all ? 100 : 25 });
  if (detail !== null) return <StepDetail id={detail} />;
  // By default only the steps that fail beyond what is normal for their kind (with 95% confidence):
  // a routing menu that fails as every menu does is not broken.
  const pick = (b: BrokenStep[]): BrokenStep[] => (all ? b : b.filter((x) => x.excess_failure_rate > 0));
  return (
    <Page title="Broken steps" intro="Steps that fail more often than is normal for their kind, ranked by impact: the customers it cost beyond normal, times the extra contacts and satisfaction each failure costs.">
      <JourneyFilterBar filters={filters} />
      <label className="check">
        <input type="checkbox" name="all" checked={all} onChange={(e) => setQuery({ all: e.target.checked ? '1' : null })} /> Also steps that fail only as often as is normal
      </label>
      <Show
        result={broken}
        what="broken steps"
        isEmpty={(b) => pick(b).length === 0}
        empty={all ? 'No step fails with these filters. Widen the period or clear the intent.' : 'No step fails more than is normal for its kind with these filters.'}
      >
        {(b) => (
          <>
            <BrokenTable steps={pick(b)} />
            <p className="note">
              Impact is in customer-equivalents: the customers who met the failure beyond what is normal for the step&apos;s kind, times the extra assisted contacts and the satisfaction each
              failure costs them. Click a customer count for the journeys behind it.
            </p>
          </>
        )}
      </Show>
    </Page>
  );
}
