/**
 * Promises: what was promised to customers and whether it was kept, by agent and by kind, and
 * the promises still open or already broken.
 */
import type { ReactNode } from 'react';
import type { PromisesDoc, PromiseTally } from '../../../src/insight/promises.ts';
import { useApi } from '../data.ts';
import { dateTime, int, pct } from '../format.ts';
import { Figure, Page, Show } from '../ui.tsx';

function TallyTable({ rows, head, testid }: { rows: (PromiseTally & { label: string })[]; head: string; testid: string }): ReactNode {
  return (
    <div className="table-scroll">
      <table data-testid={testid}>
        <thead>
          <tr>
            <th scope="col">{head}</th>
            <th scope="col" className="num">
              Promises
            </th>
            <th scope="col" className="num">
              Kept on time
            </th>
            <th scope="col" className="num">
              Kept late
            </th>
            <th scope="col" className="num">
              Broken
            </th>
            <th scope="col" className="num">
              Open
            </th>
            <th scope="col" className="num">
              Kept rate
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.label}>
              <th scope="row">{r.label}</th>
              <td className="num">{int(r.promises)}</td>
              <td className="num">{int(r.kept)}</td>
              <td className="num">{int(r.kept_late)}</td>
              <td className="num">{int(r.broken)}</td>
              <td className="num">{int(r.open)}</td>
              <td className="num">{pct(r.kept_rate, 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function PromisesPage(): ReactNode {
  const doc = useApi<PromisesDoc>('promises');
  return (
    <Page title="Promises" intro="Promises made to customers (a callback, a credit, a visit): the share kept on time, by agent and by kind, and those open or broken.">
      <Show result={doc} what="promises" isEmpty={(d) => d.totals.promises === 0} empty="No promises on record: import promises to see them here.">
        {(d) => (
          <>
            <div className="figures">
              <Figure label="Kept on time" to="/promises#by-kind" value={pct(d.kept_rate, 0)} detail={`of ${int(d.totals.kept + d.totals.kept_late + d.totals.broken)} settled or past due`} />
              <Figure label="Open" to="/promises#open" value={int(d.totals.open)} detail="not yet due" />
              <Figure label="Broken" to="/promises#broken" value={int(d.overdue)} detail="past due and unkept" tone={d.overdue > 0 ? 'bad' : 'good'} />
            </div>
            <div className="grid two">
              <section className="card" id="by-kind" aria-labelledby="kind-title">
                <h2 id="kind-title">By kind</h2>
                <TallyTable testid="promises-by-kind" head="Kind" rows={d.by_kind.map((k) => ({ ...k, label: k.kind }))} />
              </section>
              <section className="card" aria-labelledby="agent-title">
                <h2 id="agent-title">By agent</h2>
                <TallyTable testid="promises-by-agent" head="Agent" rows={d.by_agent.map((a) => ({ ...a, label: a.agent_id ?? 'no agent recorded' }))} />
              </section>
            </div>
            <section className="card" id="broken" aria-labelledby="broken-title">
              <h2 id="broken-title">Broken, longest overdue first ({int(d.broken.length)})</h2>
              <ItemTable items={d.broken.slice(0, 100).map((b) => ({ ...b, extra: `${int(b.days_overdue)} days overdue${b.case_id === null ? '' : ` · case ${b.case_id}`}` }))} />
            </section>
            <section className="card" id="open" aria-labelledby="open-title">
              <h2 id="open-title">Open, soonest due first ({int(d.open.length)})</h2>
              <ItemTable items={d.open.slice(0, 100).map((o) => ({ ...o, extra: '' }))} />
            </section>
            <p className="note">States as of {dateTime(d.as_of)}.</p>
          </>
        )}
      </Show>
    </Page>
  );
}

function ItemTable({ items }: { items: { promise_id: string; customer_key: string | null; kind: string; agent_id: string | null; description: string | null; due_at: string; extra: string }[] }): ReactNode {
  if (items.length === 0) return <p className="note">None.</p>;
  return (
    <div className="table-scroll">
      <table className="compact">
        <thead>
          <tr>
            <th scope="col">Promise</th>
            <th scope="col">Customer</th>
            <th scope="col">Kind</th>
            <th scope="col">Agent</th>
            <th scope="col">Due</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {items.map((p) => (
            <tr key={p.promise_id}>
              <td>{p.description ?? p.promise_id}</td>
              <td>
                <code>{p.customer_key ?? '–'}</code>
              </td>
              <td>{p.kind}</td>
              <td>{p.agent_id ?? '–'}</td>
              <td>{dateTime(p.due_at)}</td>
              <td>{p.extra}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
