/**
 * What a number counts: the journeys, answers or comments behind a figure, with each customer's
 * name and phone, and the whole list as a CSV file. Every clickable figure of the dashboard
 * leads here with the query that selects what it counted (`GET /api/v1/drill`).
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { DrillDoc } from '../../../src/insight/drill.ts';
import { api, ApiError, apiPath } from '../api.ts';
import { download, toCsv } from '../csv.ts';
import { useApi } from '../data.ts';
import { dateTime, int } from '../format.ts';
import { Link, useLocation } from '../router.tsx';
import { Page, Show } from '../ui.tsx';

const SHOWN = 200;

export default function DrillPage(): ReactNode {
  const { query } = useLocation();
  const params = Object.fromEntries(query.entries());
  const result = useApi<DrillDoc>('drill', { ...params, limit: SHOWN });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const save = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const doc = await api<DrillDoc>(apiPath('drill', { ...params, limit: 100_000 }));
      const csv = toCsv(
        ['customer_key', 'name', 'phone', doc.unit === 'journeys' ? 'journey_id' : 'response_id', 'time_utc', 'detail'],
        doc.rows.map((r) => [r.customer_key, r.name, r.phone, r.ref, r.ts, r.detail]),
      );
      download(`throughline-${doc.of}-${new Date().toISOString().slice(0, 10)}.csv`, csv);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Behind the number" intro="The journeys, answers or comments a figure counts, and the customers they belong to.">
      <Show result={result} what="the list" isEmpty={(d) => d.total === 0} empty="Nothing is behind this figure: it counts no journeys, answers or comments.">
        {(d) => (
          <section className="card" aria-labelledby="drill-title">
            <div className="card-head">
              <h2 id="drill-title">
                {int(d.total)} {d.title}
              </h2>
              <button type="button" className="primary" onClick={() => void save()} disabled={busy} data-testid="drill-csv">
                {busy ? 'Preparing…' : `Download all ${int(d.total)} as CSV`}
              </button>
            </div>
            <p className="note" data-testid="drill-summary">
              {d.times !== null && d.times !== d.total ? `${int(d.times)} times, in ` : ''}
              {int(d.total)} {d.unit} of {int(d.customers)} customers.{d.rows.length < d.total ? ` The first ${int(d.rows.length)} are shown; the CSV has them all.` : ''}
            </p>
            {error !== null && (
              <p className="state problem" role="alert">
                Could not prepare the CSV: {error}.
              </p>
            )}
            <div className="table-scroll">
              <table data-testid="drill-table">
                <thead>
                  <tr>
                    <th scope="col">Customer</th>
                    <th scope="col">Phone</th>
                    <th scope="col">{d.unit === 'journeys' ? 'Journey' : 'Answer'}</th>
                    <th scope="col">When</th>
                    <th scope="col">What</th>
                  </tr>
                </thead>
                <tbody>
                  {d.rows.map((r) => (
                    <tr key={r.ref}>
                      <td>
                        {r.customer_key === null ? (
                          <span className="muted-text">unknown</span>
                        ) : (
                          <>
                            <strong>{r.name ?? 'no name on file'}</strong>
                            <br />
                            <span className="muted-text">{r.customer_key}</span>
                          </>
                        )}
                      </td>
                      <td>{r.phone ?? '–'}</td>
                      <td>
                        <code>{r.ref}</code>
                      </td>
                      <td>{dateTime(r.ts)}</td>
                      <td>{r.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        )}
      </Show>
      <p>
        <button type="button" className="link-button" onClick={() => window.history.back()}>
          Back
        </button>{' '}
        · <Link to="/">Overview</Link>
      </p>
    </Page>
  );
}
