/**
 * Risk: the customers most likely to cancel within the horizon, with the reasons in words.
 */
import type { ReactNode } from 'react';
import type { RiskScore } from '../../../src/insight/risk.ts';
import { useApi } from '../data.ts';
import { int, pct } from '../format.ts';
import { Page, Pill, Show } from '../ui.tsx';

export default function RiskPage(): ReactNode {
  const risk = useApi<RiskScore[]>('risk', { top: 50 });
  return (
    <Page title="Customers at risk" intro="The customers most likely to cancel in the next 30 days, as the risk model scores them from their recent experience, with the reasons that raise each score most.">
      <section className="card" aria-labelledby="risk-title">
        <h2 id="risk-title">Most at risk</h2>
        <Show result={risk} what="risk scores" isEmpty={(r) => r.length === 0} empty="No customers to score yet.">
          {(rs) => (
            <div className="table-scroll">
              <table data-testid="risk-table">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Customer</th>
                    <th scope="col" className="num">
                      Chance of cancelling
                    </th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {rs.map((r, i) => (
                    <tr key={r.customer_key}>
                      <td>{int(i + 1)}</td>
                      <td>
                        <code>{r.customer_key}</code> {r.hidden_at_risk && <Pill tone="warn">hidden at risk</Pill>}
                      </td>
                      <td className="num">{pct(r.score, 0)}</td>
                      <td>
                        {r.reasons.length === 0 ? (
                          <span className="muted-text">no signal stands out</span>
                        ) : (
                          <ul className="reasons">
                            {r.reasons.map((x) => (
                              <li key={x}>{x}</li>
                            ))}
                          </ul>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Show>
      </section>
    </Page>
  );
}
