/**
 * Customer: look a customer up by any identifier and see what an agent needs while they are on
 * the line: what they tried and where it failed, promises, feedback, cases, what to say, and
 * which offers not to make now.
 */
import type { ReactNode } from 'react';
import type { ContextDoc } from '../../../src/engage/context.ts';
import { useApi } from '../data.ts';
import { date, dateTime, fixed } from '../format.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { Timeline } from '../timeline.tsx';
import { LookupForm } from '../lookup.tsx';
import { Empty, Page, Pill, Show } from '../ui.tsx';

function Risk({ risk }: { risk: ContextDoc['risk'] }): ReactNode {
  return (
    <div className="risk">
      <Pill tone={risk.level === 'high' ? 'bad' : risk.level === 'medium' ? 'warn' : 'good'}>
        {risk.level} risk {fixed(risk.score, 2)}
      </Pill>
      {risk.reasons.length > 0 && <span className="muted-text"> {risk.reasons.join('; ')}</span>}
    </div>
  );
}

function Context({ ctx }: { ctx: ContextDoc }): ReactNode {
  const p = ctx.promises;
  return (
    <div data-testid="context">
      <section className="card customer-head" aria-labelledby="who-title">
        <h2 id="who-title">{ctx.profile.name ?? ctx.customer_key}</h2>
        <p className="muted-text">
          {ctx.customer_key}
          {ctx.profile.segment !== null && ` · ${ctx.profile.segment}`}
          {ctx.profile.timezone !== null && ` · ${ctx.profile.timezone}`}
          {ctx.preferred_channel !== null && ` · prefers ${ctx.preferred_channel}`}
        </p>
        <ul className="inline-list">
          {ctx.identifiers.map((i) => (
            <li key={`${i.type}:${i.value}`}>
              <code>
                {i.type}:{i.value}
              </code>
            </li>
          ))}
        </ul>
        <Risk risk={ctx.risk} />
        <p>
          <Link to={`/engagement?customer=${encodeURIComponent(ctx.customer_key)}`}>Try engagement actions for this customer</Link>
        </p>
      </section>

      <section className="card talking" aria-labelledby="talk-title">
        <h2 id="talk-title">Talking points</h2>
        <ul data-testid="talking-points">
          {ctx.talking_points.map((t, i) => (
            <li key={i}>{t}</li>
          ))}
        </ul>
      </section>

      <div className="grid two">
        <section className="card" aria-labelledby="journeys-title">
          <h2 id="journeys-title">Open journeys</h2>
          {ctx.open_journeys.length === 0 ? (
            <p className="note">No journey is open.</p>
          ) : (
            ctx.open_journeys.map((j) => (
              <div key={j.journey_id} className="open-journey">
                <p className={j.failures.length > 0 ? 'journey-summary bad' : 'journey-summary'}>{j.summary}</p>
                <p className="muted-text">
                  {j.intent ?? 'unknown intent'} · {j.steps} steps · {j.channels.join(', ')} · {j.outcome}
                </p>
              </div>
            ))
          )}
          <h3>Timeline</h3>
          <Timeline steps={ctx.recent} />
        </section>

        <div className="stack">
          <section className="card" aria-labelledby="avoid-title">
            <h2 id="avoid-title">Offers to avoid now</h2>
            {ctx.suppressed_offers.length === 0 ? (
              <p className="note">Nothing holds offers back.</p>
            ) : (
              <ul className="plain" data-testid="suppressed-offers">
                {ctx.suppressed_offers.map((o, i) => (
                  <li key={i}>
                    <Pill tone="bad">{o.pillar}</Pill> <strong>{o.offer === '*' ? 'any offer' : o.offer}</strong>
                    {o.channel !== '*' && ` by ${o.channel}`}: {o.reason}
                    {o.until !== null && <span className="muted-text"> (until {dateTime(o.until)})</span>}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="promises-title">
            <h2 id="promises-title">Promises</h2>
            {p.open.length + p.overdue.length + p.broken.length === 0 ? (
              <p className="note">No promise is open{p.kept > 0 ? `; ${p.kept} kept` : ''}.</p>
            ) : (
              <ul className="plain">
                {p.overdue.map((x) => (
                  <li key={x.promise_id}>
                    <Pill tone="bad">overdue</Pill> {x.words}
                  </li>
                ))}
                {p.broken
                  .filter((x) => x.state !== 'overdue')
                  .map((x) => (
                    <li key={x.promise_id}>
                      <Pill tone="warn">kept late</Pill> {x.words}
                    </li>
                  ))}
                {p.open.map((x) => (
                  <li key={x.promise_id}>
                    <Pill tone="info">open</Pill> {x.words}
                  </li>
                ))}
                {p.kept > 0 && <li className="muted-text">{p.kept} kept on time</li>}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="fb-title">
            <h2 id="fb-title">Feedback</h2>
            {ctx.feedback.length === 0 ? (
              <p className="note">No answers from this customer.</p>
            ) : (
              <ul className="plain">
                {ctx.feedback.slice(0, 8).map((f) => (
                  <li key={f.response_id}>
                    <Pill tone={f.unhappy ? 'bad' : 'good'}>
                      {f.metric.toUpperCase()} {f.score}
                    </Pill>{' '}
                    {f.scope} · {date(f.ts)}
                    {f.comment !== null && f.comment !== '' && <blockquote className="small-quote">{f.comment}</blockquote>}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="cases-title">
            <h2 id="cases-title">Cases</h2>
            {ctx.cases.length === 0 ? (
              <p className="note">No open case.</p>
            ) : (
              <ul className="plain">
                {ctx.cases.map((c) => (
                  <li key={c.case_id}>
                    <Link to={`/cases/${encodeURIComponent(c.case_id)}`}>{c.case_id}</Link> <Pill tone={c.overdue ? 'bad' : 'warn'}>{c.overdue ? `${c.status}, overdue` : c.status}</Pill> {c.owner}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="holdings-title">
            <h2 id="holdings-title">Products</h2>
            {ctx.holdings.length === 0 ? (
              <p className="note">No products on record.</p>
            ) : (
              <ul className="inline-list">
                {ctx.holdings.map((h, i) => (
                  <li key={i}>
                    <Pill tone={h.active ? 'info' : undefined}>{h.product}</Pill>
                    {!h.active && <span className="muted-text"> ended</span>}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </div>
  );
}

export default function CustomerPage(): ReactNode {
  const { path } = useLocation();
  const id = path.startsWith('/customer/') ? decodeURIComponent(path.slice('/customer/'.length)) : null;
  const context = useApi<ContextDoc>(id === null ? null : 'customers/{id}/context', { recent: 30 }, { id: id ?? '' });
  return (
    <Page title="Customer" intro="Look a customer up by any identifier: see what they tried, where it failed, and what to say.">
      <LookupForm key={id ?? ''} initial={id ?? ''} action={(x) => navigate(`/customer/${encodeURIComponent(x)}`)} />
      {id === null ? (
        <Empty>Enter a phone number, email, account or customer id to see the customer's context.</Empty>
      ) : (
        <Show result={context} what={`the context of ${id}`}>
          {(ctx) => <Context ctx={ctx} />}
        </Show>
      )}
    </Page>
  );
}
