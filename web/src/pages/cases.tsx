/**
 * Cases: the closed-loop inbox (filter by owner, status, overdue), one case with the customer's
 * journey and survey dialogue where it is contacted and resolved with its root cause, and the
 * outer loop: cases grouped by the step at fault, so a process owner sees what to fix.
 */
import { useMemo, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { ContextDoc } from '../../../src/engage/context.ts';
import type { CaseDetail, CaseDoc, RollupRow } from '../../../src/feedback/cases.ts';
import { hasEndpoint, useAction, useApi, useAppInfo } from '../data.ts';
import { dateTime, int, pct } from '../format.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { Empty, Field, Page, Pill, Show, Unavailable } from '../ui.tsx';
import { Timeline } from '../timeline.tsx';

const ACTIVE = new Set(['open', 'contacted']);

/** A case's type as the inbox names it (cases.kind). */
const KIND_WORDS: Readonly<Record<string, string>> = {
  detractor: 'detractor',
  low_csat: 'low CSAT',
  broken_promise: 'broken promise',
  callback: 'callback',
  survey: 'survey answer',
};

function StatusPill({ c }: { c: Pick<CaseDoc, 'status' | 'overdue'> }): ReactNode {
  if (c.overdue) return <Pill tone="bad">{c.status}, overdue</Pill>;
  return <Pill tone={c.status === 'open' ? 'warn' : c.status === 'contacted' ? 'info' : 'good'}>{c.status}</Pill>;
}

const PAGE = 50;

function Inbox({ cases }: { cases: CaseDoc[] }): ReactNode {
  const { query } = useLocation();
  const [limit, setLimit] = useState(PAGE);
  const owner = query.get('owner') ?? '';
  const status = query.get('status') ?? '';
  const overdue = query.get('overdue') === '1';
  const hidden = query.get('hidden') === '1';
  // The outer loop's rows open the inbox at their step; `none` is the cases with no step found.
  const root = query.get('root') ?? '';
  const owners = useMemo(() => [...new Set(cases.map((c) => c.owner))].sort(), [cases]);
  const shown = cases
    .filter((c) => owner === '' || c.owner === owner)
    .filter((c) => status === '' || (status === 'active' ? ACTIVE.has(c.status) : c.status === status))
    .filter((c) => !overdue || c.overdue)
    .filter((c) => !hidden || c.hidden_at_risk)
    .filter((c) => root === '' || (c.root_cause ?? c.root_cause_step ?? 'none') === root)
    // Overdue first, then the soonest due: the order an owner should work them in.
    .sort((a, b) => Number(b.overdue) - Number(a.overdue) || Number(ACTIVE.has(b.status)) - Number(ACTIVE.has(a.status)) || a.due_at.localeCompare(b.due_at));

  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Case filters">
        <Field label="Owner">
          <select name="owner" value={owner} onChange={(e) => setQuery({ owner: e.target.value })}>
            <option value="">Everyone</option>
            {owners.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Status">
          <select name="status" value={status} onChange={(e) => setQuery({ status: e.target.value })}>
            <option value="">Any</option>
            <option value="active">Open or contacted</option>
            <option value="open">Open</option>
            <option value="contacted">Contacted</option>
            <option value="resolved">Resolved</option>
            <option value="closed">Closed</option>
          </select>
        </Field>
        <label className="check">
          <input type="checkbox" name="overdue" checked={overdue} onChange={(e) => setQuery({ overdue: e.target.checked ? '1' : null })} /> Overdue only
        </label>
        <label className="check">
          <input type="checkbox" name="hidden" checked={hidden} onChange={(e) => setQuery({ hidden: e.target.checked ? '1' : null })} /> Hidden at risk only
        </label>
        {root !== '' && (
          <button type="button" className="link-button" data-testid="root-filter" onClick={() => setQuery({ root: null })}>
            Root-cause step: {root === 'none' ? 'none found' : root} ✕
          </button>
        )}
      </form>
      <p className="note" aria-live="polite">
        {int(shown.length)} of {int(cases.length)} cases
      </p>
      {shown.length === 0 ? (
        <Empty>No case matches these filters: clear one to see more.</Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="cases-table">
            <caption className="sr-only">Cases</caption>
            <thead>
              <tr>
                <th scope="col">Case</th>
                <th scope="col">Customer</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Owner</th>
                <th scope="col">Due</th>
                <th scope="col" className="num">
                  Answers
                </th>
                <th scope="col">Step at fault</th>
                <th scope="col" className="hide-narrow">
                  Why
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.slice(0, limit).map((c) => (
                <tr key={c.case_id}>
                  <td className="nowrap">
                    <Link to={`/cases/${encodeURIComponent(c.case_id)}`}>{c.case_id}</Link>
                    {c.hidden_at_risk && (
                      <>
                        {' '}
                        <Pill tone="warn">hidden at risk</Pill>
                      </>
                    )}
                  </td>
                  <td>
                    {c.customer_name ?? <span className="muted-text">no name on file</span>}
                    {c.customer_phone !== null && c.customer_phone !== undefined && (
                      <>
                        <br />
                        <span className="muted-text nowrap">{c.customer_phone}</span>
                      </>
                    )}
                  </td>
                  <td>{KIND_WORDS[c.kind] ?? c.kind.replace(/_/g, ' ')}</td>
                  <td>
                    <StatusPill c={c} />
                  </td>
                  <td>{c.owner}</td>
                  <td className="nowrap">{dateTime(c.due_at)}</td>
                  <td className="num">{c.response_ids.length}</td>
                  <td>{c.root_cause ?? c.root_cause_step ?? <span className="muted-text">none found</span>}</td>
                  <td className="reason-cell hide-narrow">
                    <span className="clamp" title={c.reason}>
                      {c.reason}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length > limit && (
            <button type="button" className="secondary" onClick={() => setLimit(limit + PAGE)}>
              Show {Math.min(PAGE, shown.length - limit)} more of {int(shown.length - limit)}
            </button>
          )}
        </div>
      )}
    </>
  );
}

function Rollup(): ReactNode {
  const rollup = useApi<RollupRow[]>('cases/rollup');
  return (
    <Show result={rollup} what="the outer loop" isEmpty={(r) => r.length === 0} empty="No cases yet, so nothing to roll up.">
      {(rows) => (
        <div className="table-wrap">
          <table data-testid="rollup-table">
            <caption className="sr-only">Cases by root-cause step</caption>
            <thead>
              <tr>
                <th scope="col">Root-cause step</th>
                <th scope="col" className="num">
                  Cases
                </th>
                <th scope="col" className="num">
                  Customers
                </th>
                <th scope="col" className="num">
                  Open
                </th>
                <th scope="col" className="num">
                  Overdue
                </th>
                <th scope="col" className="num">
                  Resolved
                </th>
                <th scope="col" className="num">
                  Confirmed cause
                </th>
                <th scope="col" className="num">
                  Issue fixed
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={String(r.root_cause_step)}>
                  <th scope="row">{r.root_cause_step ?? <span className="muted-text">not found</span>}</th>
                  <td className="num">
                    <Link to={`/cases?root=${encodeURIComponent(r.root_cause_step ?? 'none')}`} data-drill="rollup" title="Open these cases in the inbox">
                      {int(r.cases)}
                    </Link>
                  </td>
                  <td className="num">{int(r.customers)}</td>
                  <td className="num">{int(r.open + r.contacted)}</td>
                  <td className={`num${r.overdue > 0 ? ' bad-text' : ''}`}>{int(r.overdue)}</td>
                  <td className="num">{int(r.resolved + r.closed)}</td>
                  <td className="num">{int(r.confirmed)}</td>
                  <td className="num">{pct(r.issue_resolved_rate, 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Show>
  );
}

function Dialogue({ c }: { c: CaseDetail }): ReactNode {
  return (
    <ol className="dialogue" data-testid="dialogue">
      {c.answers.map((a) => (
        <li key={a.response_id}>
          <div className="bubble ours">
            {a.scope} {a.metric.toUpperCase()} survey <span className="muted-text">({a.survey_id})</span>
          </div>
          <div className="bubble theirs">
            <strong>{a.score}</strong>
            {a.comment !== null && a.comment !== '' && <> — “{a.comment}”</>}
            <span className="when">{dateTime(a.ts)}</span>
          </div>
        </li>
      ))}
      {c.events.map((e, i) => (
        <li key={`e${i}`} className="event">
          <span className="muted-text">{dateTime(e.ts)}</span> {e.kind}
          {e.actor !== null && ` by ${e.actor}`}
          {e.note !== null && e.note !== '' && `: ${e.note}`}
        </li>
      ))}
    </ol>
  );
}

function Actions({ c, steps, onDone }: { c: CaseDoc; steps: string[]; onDone: () => void }): ReactNode {
  const info = useAppInfo();
  const contact = useAction<unknown>();
  const resolve = useAction<unknown>();
  const [note, setNote] = useState('');
  const [cause, setCause] = useState(c.root_cause ?? c.root_cause_step ?? '');
  const [fixed, setFixed] = useState<'yes' | 'no' | ''>('');
  const [resolveNote, setResolveNote] = useState('');

  if (!ACTIVE.has(c.status)) {
    return (
      <p className="note">
        This case is {c.status}
        {c.root_cause !== null && <> with root cause <strong>{c.root_cause}</strong></>}
        {c.issue_resolved !== null && <>; the issue was {c.issue_resolved ? '' : 'not '}resolved</>}.
      </p>
    );
  }

  if (info.role === 'analyst') return <p className="note">Recording contacts and resolving cases takes an agent or admin key.</p>;
  if (!hasEndpoint(info, 'POST', 'cases/{id}/contact') && !hasEndpoint(info, 'POST', 'cases/{id}/resolve')) {
    return <Unavailable endpoint="POST /api/v1/cases/{id}/contact and /resolve" what="recording contacts and resolving cases" />;
  }

  const submitContact = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if ((await contact.run('cases/{id}/contact', { id: c.case_id }, { note: note.trim() })) !== null) {
      setNote('');
      onDone();
    }
  };
  const submitResolve = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const body = { root_cause: cause.trim(), issue_resolved: fixed === 'yes', ...(resolveNote.trim() === '' ? {} : { note: resolveNote.trim() }) };
    if ((await resolve.run('cases/{id}/resolve', { id: c.case_id }, body)) !== null) onDone();
  };

  return (
    <div className="grid two">
      <form className="card action" onSubmit={(e) => void submitContact(e)} aria-labelledby="contact-title">
        <h3 id="contact-title">Record a contact</h3>
        <Field label="What was said">
          <textarea name="note" rows={3} required value={note} onChange={(e) => setNote(e.target.value)} placeholder="Called the customer, apologised for the failed payment…" />
        </Field>
        {contact.error !== null && (
          <p className="state problem" role="alert">
            {contact.error.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={contact.busy || note.trim() === ''}>
          {contact.busy ? 'Saving…' : 'Record contact'}
        </button>
      </form>
      <form className="card action" onSubmit={(e) => void submitResolve(e)} aria-labelledby="resolve-title">
        <h3 id="resolve-title">Resolve</h3>
        <Field label="Root cause" hint="The step that caused it (channel:activity) or a short description.">
          <input name="root_cause" list="cause-steps" required value={cause} onChange={(e) => setCause(e.target.value)} />
        </Field>
        <datalist id="cause-steps">
          {steps.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <fieldset className="radios">
          <legend>Was the customer's issue resolved?</legend>
          <label>
            <input type="radio" name="issue_resolved" value="yes" checked={fixed === 'yes'} onChange={() => setFixed('yes')} required /> Yes
          </label>
          <label>
            <input type="radio" name="issue_resolved" value="no" checked={fixed === 'no'} onChange={() => setFixed('no')} /> No
          </label>
        </fieldset>
        <Field label="Note (optional)">
          <input name="resolve_note" value={resolveNote} onChange={(e) => setResolveNote(e.target.value)} />
        </Field>
        {resolve.error !== null && (
          <p className="state problem" role="alert">
            {resolve.error.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={resolve.busy || cause.trim() === '' || fixed === ''}>
          {resolve.busy ? 'Saving…' : 'Resolve case'}
        </button>
      </form>
    </div>
  );
}

function CustomerJourney({ customerKey }: { customerKey: string }): ReactNode {
  const { role } = useAppInfo();
  const context = useApi<ContextDoc>(role === 'analyst' ? null : 'customers/{id}/context', { recent: 25 }, { id: customerKey });
  if (role === 'analyst') return <Empty>The customer's journey is shown to agent and admin keys.</Empty>;
  return (
    <Show result={context} what="the customer's journey">
      {(ctx) => (
        <>
          {ctx.open_journeys.map((j) => (
            <p key={j.journey_id} className={j.failures.length > 0 ? 'journey-summary bad' : 'journey-summary'}>
              {j.summary}
            </p>
          ))}
          <Timeline steps={ctx.recent} />
          <p>
            <Link to={`/customer/${encodeURIComponent(customerKey)}`}>Everything about this customer</Link>
          </p>
        </>
      )}
    </Show>
  );
}

function CaseView({ id }: { id: string }): ReactNode {
  const detail = useApi<CaseDetail>('cases/{id}', {}, { id });
  const { role } = useAppInfo();
  return (
    <Page title={`Case ${id}`} intro={role === 'agent' ? <Link to="/customer">← Customer lookup</Link> : <Link to="/cases">← All cases</Link>}>
      <Show result={detail} what="the case">
        {(c) => (
          <>
            <section className="card" aria-labelledby="case-title">
              <h2 id="case-title">
                <StatusPill c={c} /> {c.kind} case for <code>{c.customer_key}</code>
              </h2>
              <p className="reason">{c.reason}</p>
              <dl className="facts">
                <dt>Owner</dt>
                <dd>
                  {c.owner}
                  {c.escalated_to !== null && ` (escalated to ${c.escalated_to})`}
                </dd>
                <dt>Opened</dt>
                <dd>{dateTime(c.opened_at)}</dd>
                <dt>Due</dt>
                <dd className={c.overdue ? 'bad-text' : undefined}>{dateTime(c.due_at)}</dd>
                <dt>Step most likely at fault</dt>
                <dd>{c.root_cause_step ?? 'none found'}</dd>
                {c.callback_requested && (
                  <>
                    <dt>Callback</dt>
                    <dd>the customer asked to be called back</dd>
                  </>
                )}
              </dl>
            </section>
            <Actions c={c} steps={c.root_cause_step === null ? [] : [c.root_cause_step]} onDone={detail.reload} />
            <div className="grid two">
              <section className="card" aria-labelledby="dialogue-title">
                <h2 id="dialogue-title">Survey dialogue and history</h2>
                <Dialogue c={c} />
              </section>
              <section className="card" aria-labelledby="journey-title">
                <h2 id="journey-title">The customer's journey</h2>
                <CustomerJourney customerKey={c.customer_key} />
              </section>
            </div>
          </>
        )}
      </Show>
    </Page>
  );
}

export default function CasesPage(): ReactNode {
  const { path, query } = useLocation();
  const id = path.startsWith('/cases/') ? decodeURIComponent(path.slice('/cases/'.length)) : null;
  const view = query.get('view') === 'rollup' ? 'rollup' : 'inbox';
  const { role } = useAppInfo();
  // Agents get no list of cases (docs/security.md): they open one from the customer they serve.
  const cases = useApi<CaseDoc[]>(id === null && view === 'inbox' && role !== 'agent' ? 'cases' : null);
  if (id !== null) return <CaseView id={id} />;
  if (role === 'agent') {
    return (
      <Page title="Cases" intro="Detractors and unhappy answers become cases: contact the customer, put it right, and record the root cause so the step gets fixed.">
        <Empty>
          Agents work a case from the customer it concerns: <Link to="/customer">look the customer up</Link>, and their open cases are listed there.
        </Empty>
      </Page>
    );
  }
  return (
    <Page title="Cases" intro="Detractors and unhappy answers become cases: contact the customer, put it right, and record the root cause so the step gets fixed.">
      <div className="tabs" role="tablist" aria-label="Views">
        <button type="button" role="tab" aria-selected={view === 'inbox'} onClick={() => setQuery({ view: null })}>
          Inbox
        </button>
        <button type="button" role="tab" aria-selected={view === 'rollup'} onClick={() => setQuery({ view: 'rollup' })}>
          Outer loop: by root-cause step
        </button>
      </div>
      {view === 'rollup' ? (
        <Rollup />
      ) : (
        <Show result={cases} what="cases" isEmpty={(c) => c.length === 0} empty="No cases yet: cases open when a detractor or an unhappy transaction answer arrives.">
          {(c) => <Inbox cases={c} />}
        </Show>
      )}
    </Page>
  );
}
