/**
 * Drivers: what makes customers detractors, each factor's own effect with its 95% interval
 * (every other factor held as it was), and the answers behind it one click away.
 */
import type { ReactNode } from 'react';
import type { Driver } from '../../../src/insight/drivers.ts';
import { drillTo } from '../drill-link.ts';
import { useApi } from '../data.ts';
import { fixed, int, pct } from '../format.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { Field, IntervalBar, Page, Show } from '../ui.tsx';

export default function DriversPage(): ReactNode {
  const { query } = useLocation();
  const metric = query.get('metric') === 'csat' ? 'csat' : 'nps';
  const drivers = useApi<Driver[]>('drivers', { metric, top: 30 });
  return (
    <Page
      title="Drivers"
      intro={`What makes a customer a ${metric === 'nps' ? 'detractor (relationship NPS 0–6)' : 'dissatisfied (CSAT 1–3)'}: each factor met in the 60 days before an answer, ranked by its own effect with the others held as they were.`}
      actions={
        <Field label="Metric">
          <select name="metric" value={metric} onChange={(e) => setQuery({ metric: e.target.value === 'nps' ? null : e.target.value })}>
            <option value="nps">NPS detractors</option>
            <option value="csat">CSAT dissatisfied</option>
          </select>
        </Field>
      }
    >
      <section className="card" aria-labelledby="drivers-title">
        <h2 id="drivers-title">Factors, strongest first</h2>
        <Show result={drivers} what="drivers" isEmpty={(d) => d.length === 0} empty="No factor could be estimated: drivers need answers with and without each factor, and some detractors.">
          {(ds) => (
            <div className="table-scroll">
              <table data-testid="drivers-table">
                <thead>
                  <tr>
                    <th scope="col">Factor</th>
                    <th scope="col" className="num">
                      Answers exposed
                    </th>
                    <th scope="col" className="num">
                      Detractors, exposed / not
                    </th>
                    <th scope="col" className="num">
                      Own effect
                    </th>
                    <th scope="col">95% interval</th>
                    <th scope="col" className="num">
                      Detractors it accounts for
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {ds.map((d) => (
                    <tr key={d.factor}>
                      <th scope="row">{d.factor}</th>
                      <td className="num">
                        <Link to={drillTo({ of: 'driver', factor: d.factor, metric })} data-drill="driver" title={`List the ${d.exposed} answers of ${d.customers} customers`}>
                          {int(d.exposed)}
                        </Link>
                        <span className="muted-text"> ({int(d.customers)} customers)</span>
                      </td>
                      <td className="num">
                        {pct(d.detractor_rate_exposed, 0)} / {pct(d.detractor_rate_unexposed, 0)}
                      </td>
                      <td className="num">{d.effect > 0 ? '+' : ''}{fixed(d.effect * 100, 1)} pts</td>
                      <td>
                        <IntervalBar min={-0.5} max={0.5} lo={d.ci95[0]} hi={d.ci95[1]} value={d.effect} label={`${fixed(d.ci95[0] * 100)} to ${fixed(d.ci95[1] * 100)} points`} />
                      </td>
                      <td className="num">{fixed(d.attributable, 1)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Show>
        <p className="note">
          Own effect: how many percentage points more likely an exposed answer was to be a detractor because of this factor. An interval that crosses zero may be noise. Click a count for the answers
          and customers behind it.
        </p>
      </section>
    </Page>
  );
}
