/**
 * Engagement: try candidate actions for one customer and see what the guard decides for each
 * (allow, suppress, defer, reroute) with its reasons by pillar. Every evaluation is recorded by
 * the server, as a real one would be. Policies are shown read-only.
 */
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { ContextDoc } from '../../../src/engage/context.ts';
import type { Candidate, Decision, Evaluation, Pillar, RecordedDecision } from '../../../src/engage/guard.ts';
import type { Policies } from '../../../src/engage/policies.ts';
import { useAction, useApi, useAppInfo } from '../data.ts';
import { dateTime, fixed } from '../format.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { Empty, Page, Pill, Show } from '../ui.tsx';
import { LookupForm } from '../lookup.tsx';

const KINDS: readonly Candidate['kind'][] = ['offer', 'service', 'survey', 'reminder'];
const CHANNELS = ['email', 'sms', 'call', 'push', 'app', 'web'];
const PILLARS: readonly Pillar[] = ['relevance', 'respect', 'credibility', 'value'];

interface Row {
  action_id: string;
  kind: Candidate['kind'];
  channel: string;
  product: string;
  intent: string;
  value: string;
  propensity: string;
}

function defaults(ctx: ContextDoc | null): Row[] {
  const held = ctx?.holdings.find((h) => h.active)?.product;
  const intent = ctx?.open_journeys[0]?.intent ?? '';
  return [
    { action_id: held === undefined ? 'offer-plan' : 'offer-held', kind: 'offer', channel: 'email', product: held ?? 'mobile_plan', intent: '', value: '40', propensity: '0.2' },
    { action_id: 'offer-new', kind: 'offer', channel: 'sms', product: held === 'tv' ? 'home_internet' : 'tv', intent: '', value: '60', propensity: '0.1' },
    { action_id: 'service-followup', kind: 'service', channel: 'sms', product: '', intent, value: '10', propensity: '0.6' },
    { action_id: 'survey-nps', kind: 'survey', channel: 'email', product: '', intent: '', value: '1', propensity: '0.3' },
  ];
}

function toCandidate(r: Row): Candidate {
  const num = (s: string): number | undefined => (s.trim() === '' || !Number.isFinite(Number(s)) ? undefined : Number(s));
  const value = num(r.value);
  const propensity = num(r.propensity);
  return {
    action_id: r.action_id.trim(),
    kind: r.kind,
    channel: r.channel.trim(),
    ...(r.product.trim() === '' ? {} : { product: r.product.trim() }),
    ...(r.intent.trim() === '' ? {} : { intent: r.intent.trim() }),
    ...(value === undefined ? {} : { value }),
    ...(propensity === undefined ? {} : { propensity }),
  };
}

const TONE = { allow: 'good', suppress: 'bad', defer: 'warn', reroute: 'info' } as const;

function Decisions({ evaluation }: { evaluation: Evaluation }): ReactNode {
  return (
    <div className="table-wrap">
      <table data-testid="decisions">
        <caption className="sr-only">Decisions, highest priority first</caption>
        <thead>
          <tr>
            <th scope="col">Action</th>
            <th scope="col">Decision</th>
            <th scope="col">Goes out</th>
            <th scope="col" className="num">
              Priority
            </th>
            <th scope="col">Reasons by pillar</th>
          </tr>
        </thead>
        <tbody>
          {evaluation.decisions.map((d: Decision) => (
            <tr key={d.action_id} data-decision={d.decision} data-action={d.action_id}>
              <th scope="row">
                {d.action_id}
                <div className="muted-text">
                  {d.kind}
                  {d.product !== null && ` · ${d.product}`} · {d.channel}
                </div>
              </th>
              <td>
                <Pill tone={TONE[d.decision]}>{d.decision}</Pill>
              </td>
              <td>
                {d.decision === 'suppress' ? (
                  <span className="muted-text">not at all</span>
                ) : (
                  <>
                    {d.final_channel}
                    {d.final_channel !== d.channel && ' (rerouted)'}
                    <div className="muted-text">{d.defer_until !== null ? `after ${dateTime(d.defer_until)}` : d.send_at !== null ? dateTime(d.send_at) : 'now'}</div>
                  </>
                )}
              </td>
              <td className="num">{fixed(d.priority, 3)}</td>
              <td>
                <ul className="reasons">
                  {PILLARS.filter((p) => (d.reasons[p] ?? []).length > 0).map((p) => (
                    <li key={p}>
                      <span className={`pillar p-${p}`}>{p}</span> {d.reasons[p].join('; ')}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Candidates({ rows, setRows }: { rows: Row[]; setRows: (r: Row[]) => void }): ReactNode {
  const update = (i: number, patch: Partial<Row>): void => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="table-wrap">
      <table className="editor" data-testid="candidates">
        <caption className="sr-only">Candidate actions</caption>
        <thead>
          <tr>
            <th scope="col">Action id</th>
            <th scope="col">Kind</th>
            <th scope="col">Channel</th>
            <th scope="col">Product</th>
            <th scope="col">Serves intent</th>
            <th scope="col">Value</th>
            <th scope="col">Propensity</th>
            <th scope="col">
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>
                <input aria-label={`Action id ${i + 1}`} name={`action_id_${i}`} value={r.action_id} onChange={(e) => update(i, { action_id: e.target.value })} required />
              </td>
              <td>
                <select aria-label={`Kind ${i + 1}`} name={`kind_${i}`} value={r.kind} onChange={(e) => update(i, { kind: e.target.value as Row['kind'] })}>
                  {KINDS.map((k) => (
                    <option key={k}>{k}</option>
                  ))}
                </select>
              </td>
              <td>
                <input aria-label={`Channel ${i + 1}`} name={`channel_${i}`} list="engage-channels" value={r.channel} onChange={(e) => update(i, { channel: e.target.value })} required size={7} />
              </td>
              <td>
                <input aria-label={`Product ${i + 1}`} name={`product_${i}`} value={r.product} onChange={(e) => update(i, { product: e.target.value })} size={12} />
              </td>
              <td>
                <input aria-label={`Intent ${i + 1}`} name={`intent_${i}`} value={r.intent} onChange={(e) => update(i, { intent: e.target.value })} size={10} />
              </td>
              <td>
                <input aria-label={`Value ${i + 1}`} name={`value_${i}`} type="number" min={0} step="any" value={r.value} onChange={(e) => update(i, { value: e.target.value })} className="narrow" />
              </td>
              <td>
                <input
                  aria-label={`Propensity ${i + 1}`}
                  name={`propensity_${i}`}
                  type="number"
                  min={0}
                  max={1}
                  step="any"
                  value={r.propensity}
                  onChange={(e) => update(i, { propensity: e.target.value })}
                  className="narrow"
                />
              </td>
              <td>
                <button type="button" className="link-button" aria-label={`Remove ${r.action_id || `row ${i + 1}`}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                  ✕
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <datalist id="engage-channels">
        {CHANNELS.map((c) => (
          <option key={c} value={c} />
        ))}
      </datalist>
      <button
        type="button"
        className="secondary"
        onClick={() => setRows([...rows, { action_id: `action-${rows.length + 1}`, kind: 'offer', channel: 'email', product: '', intent: '', value: '', propensity: '' }])}
      >
        Add an action
      </button>
    </div>
  );
}

function PoliciesView(): ReactNode {
  const policies = useApi<Policies>('engage/policies');
  return (
    <Show result={policies} what="the policies">
      {(p) => (
        <dl className="facts policies" data-testid="policies">
          <dt>Outbound channels</dt>
          <dd>{p.outbound_channels.join(', ')}</dd>
          <dt>Quiet hours</dt>
          <dd>
            {p.quiet_hours.start}–{p.quiet_hours.end} on {p.quiet_hours.channels.join(', ')} (customer's zone; else {p.quiet_hours.default_timezone})
          </dd>
          <dt>Frequency caps</dt>
          <dd>
            {p.frequency_caps.map((c) => `${c.max} ${c.kinds.join('/')} by ${c.channel} per ${c.days} days`).join('; ') || 'none'}
          </dd>
          <dt>Surveys</dt>
          <dd>
            cooldown {p.survey.cooldown_days} days{p.survey.max_per_period !== null && `, at most ${p.survey.max_per_period.count} per ${p.survey.max_per_period.days} days`}
            {p.survey.skip_if_open_case && ', never while a case is open'}
          </dd>
          <dt>Credibility</dt>
          <dd>
            {[
              p.credibility.block_offers_on_overdue_promise && 'no offers while a promise is overdue',
              p.credibility.block_offers_on_open_case && 'no offers while a case is open',
              p.credibility.failed_journey_days > 0 && `no offers within ${p.credibility.failed_journey_days} days of a failed, unresolved journey`,
            ]
              .filter(Boolean)
              .join('; ') || 'off'}
          </dd>
          <dt>Value levers</dt>
          <dd>
            {Object.entries(p.value.levers)
              .map(([k, v]) => `${k.replace(/_/g, ' ')} ×${v}`)
              .join('; ')}
          </dd>
        </dl>
      )}
    </Show>
  );
}

function DecisionLog(): ReactNode {
  const log = useApi<RecordedDecision[]>('engage/decisions', { limit: 15 });
  return (
    <Show result={log} what="the decision log" isEmpty={(l) => l.length === 0} empty="No decisions recorded yet.">
      {(l) => (
        <ul className="plain log">
          {l.map((d) => (
            <li key={d.decision_id}>
              <Pill tone={TONE[d.decision]}>{d.decision}</Pill> {d.action_id} for <code>{d.customer_key}</code> <span className="muted-text">{dateTime(d.evaluated_at)}</span>
              {d.rules.length > 0 && <span className="muted-text"> · {d.rules.join(', ')}</span>}
            </li>
          ))}
        </ul>
      )}
    </Show>
  );
}

export default function EngagementPage(): ReactNode {
  const { query } = useLocation();
  const { role } = useAppInfo();
  const customer = query.get('customer') ?? '';
  const context = useApi<ContextDoc>(customer === '' ? null : 'customers/{id}/context', {}, { id: customer });
  const [rows, setRows] = useState<Row[]>(() => defaults(null));
  const [edited, setEdited] = useState(false);
  const [evaluation, setEvaluation] = useState<Evaluation | null>(null);
  const [version, setVersion] = useState(0);
  const action = useAction<Evaluation>();

  // Suggested candidates follow the customer (an offer of a product they hold shows relevance at work) until edited.
  useEffect(() => {
    if (!edited) setRows(defaults(context.status === 'ok' ? context.data : null));
  }, [context, edited]);
  useEffect(() => setEvaluation(null), [customer]);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const ev = await action.run('engage/evaluate', {}, { customer, candidates: rows.map(toCandidate) });
    if (ev !== null) {
      setEvaluation(ev);
      setVersion((v) => v + 1);
    }
  };

  return (
    <Page title="Engagement" intro="Try actions for a customer before anything is sent: each is allowed, suppressed, deferred or rerouted, with the reasons by pillar (relevance, respect, credibility, value).">
      <LookupForm key={customer} initial={customer} action={(id) => setQuery({ customer: id })} label="Choose" />
      {customer === '' ? (
        <Empty>Choose a customer to try actions for.</Empty>
      ) : (
        <>
          <section className="card" aria-labelledby="cand-title">
            <h2 id="cand-title">Candidate actions</h2>
            {context.status === 'ok' && (
              <p className="note">
                {context.data.profile.name ?? context.data.customer_key} holds {context.data.holdings.filter((h) => h.active).map((h) => h.product).join(', ') || 'no products'}.{' '}
                <Link to={`/customer/${encodeURIComponent(customer)}`}>Open their context</Link>
              </p>
            )}
            {context.status === 'error' && (
              <p className="state problem" role="alert">
                {context.error.message}
              </p>
            )}
            <form onSubmit={(e) => void submit(e)}>
              <Candidates
                rows={rows}
                setRows={(r) => {
                  setEdited(true);
                  setRows(r);
                }}
              />
              {action.error !== null && (
                <p className="state problem" role="alert">
                  {action.error.notAvailable ? 'Evaluation is not available on this server.' : action.error.message}
                </p>
              )}
              <div className="form-actions">
                <button type="submit" className="primary" disabled={action.busy || rows.length === 0}>
                  {action.busy ? 'Evaluating…' : 'Evaluate'}
                </button>
                {edited && (
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => {
                      setEdited(false);
                    }}
                  >
                    Reset to suggestions
                  </button>
                )}
              </div>
            </form>
          </section>
          {evaluation !== null && (
            <section className="card" aria-labelledby="dec-title" key={version}>
              <h2 id="dec-title">Decisions</h2>
              <p className="note">
                Evaluation {evaluation.evaluation_id} at {dateTime(evaluation.evaluated_at)}; highest priority first, suppressed last.
              </p>
              <Decisions evaluation={evaluation} />
            </section>
          )}
        </>
      )}
      <div className="grid two">
        <section className="card" aria-labelledby="pol-title">
          <h2 id="pol-title">Policies (read-only)</h2>
          <PoliciesView />
        </section>
        {role !== 'agent' && (
          <section className="card" aria-labelledby="log-title">
            <h2 id="log-title">Recent decisions</h2>
            <DecisionLog key={version} />
          </section>
        )}
      </div>
    </Page>
  );
}
