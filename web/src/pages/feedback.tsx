/**
 * Feedback: NPS, CSAT and CES broken down as the metrics command does (relationship and
 * transaction never mixed), topics, and the verbatims with their sentiment and topics.
 */
import type { ReactNode } from 'react';
import type { CommentDoc, TopicSummary } from '../../../src/feedback/comments.ts';
import type { CesFigure, CsatFigure, MetricsDoc, MetricSet, NpsFigure } from '../../../src/feedback/metrics.ts';
import { useApi } from '../data.ts';
import { date, fixed, int, interval, nps } from '../format.ts';
import { drillTo } from '../drill-link.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { Field, Page, Pill, Show } from '../ui.tsx';

const BREAKDOWNS = [
  ['scope', 'Scope'],
  ['channel', 'Channel'],
  ['intent', 'Intent'],
  ['month', 'Month'],
  ['survey', 'Survey'],
  ['agent', 'Agent (transaction only)'],
  ['store_staff', 'Store staff (transaction only)'],
] as const;

function Small({ n }: { n: number }): ReactNode {
  return n < 30 ? <abbr title="fewer than 30 answers: read with care"> few</abbr> : null;
}

function NpsCell({ f }: { f: NpsFigure | null }): ReactNode {
  if (f === null || f.n === 0) return <td className="num muted-text">–</td>;
  return (
    <td className="num" title={`95%: ${interval(f.ci95)}; ${f.promoters} promoters, ${f.passives} passives, ${f.detractors} detractors`}>
      <strong>{nps(f.score)}</strong> <span className="muted-text">({int(f.n)})</span>
      <Small n={f.n} />
    </td>
  );
}

function CsatCell({ f }: { f: CsatFigure | null }): ReactNode {
  if (f === null || f.n === 0) return <td className="num muted-text">–</td>;
  return (
    <td className="num" title={`95%: ${interval(f.ci95, 1)}; mean ${fixed(f.mean, 2)}`}>
      <strong>{fixed(f.score, 1)}%</strong> <span className="muted-text">({int(f.n)})</span>
      <Small n={f.n} />
    </td>
  );
}

function CesCell({ f }: { f: CesFigure | null }): ReactNode {
  if (f === null || f.n === 0) return <td className="num muted-text">–</td>;
  return (
    <td className="num" title={`95%: ${interval(f.ci95, 2)}; ${fixed(f.percent_easy, 1)}% easy`}>
      <strong>{fixed(f.score, 2)}</strong> <span className="muted-text">({int(f.n)})</span>
      <Small n={f.n} />
    </td>
  );
}

function MetricsRow({ label, m }: { label: string; m: MetricSet }): ReactNode {
  return (
    <tr>
      <th scope="row">{label}</th>
      <NpsCell f={m.nps.relationship} />
      <NpsCell f={m.nps.transaction} />
      <CsatCell f={m.csat.transaction} />
      <CesCell f={m.ces.transaction} />
    </tr>
  );
}

function MetricsTable({ doc }: { doc: MetricsDoc }): ReactNode {
  const rows = [...(doc.by ?? [])].sort((a, b) => String(a.key).localeCompare(String(b.key)));
  return (
    <div className="table-wrap">
      <table data-testid="metrics-table">
        <caption className="sr-only">Metrics by {doc.breakdown}</caption>
        <thead>
          <tr>
            <th scope="col">{doc.breakdown ?? 'All'}</th>
            <th scope="col" className="num">
              Relationship NPS
            </th>
            <th scope="col" className="num">
              Transaction NPS
            </th>
            <th scope="col" className="num">
              Transaction CSAT
            </th>
            <th scope="col" className="num">
              Transaction CES
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <MetricsRow key={String(r.key)} label={r.key ?? '(none)'} m={r} />
          ))}
        </tbody>
        <tfoot>
          <MetricsRow label="All" m={doc} />
        </tfoot>
      </table>
      <p className="note">Figures in brackets are answers; hover a figure for its 95% interval. CSAT is the share answering 4–5; CES the mean on 1–7.</p>
    </div>
  );
}

function Topics({ topics, current }: { topics: TopicSummary[]; current: string }): ReactNode {
  return (
    <ul className="topics">
      {topics.map((t) => (
        <li key={t.topic}>
          <button type="button" className={`topic${current === t.topic ? ' active' : ''}`} aria-pressed={current === t.topic} onClick={() => setQuery({ topic: current === t.topic ? null : t.topic, page: null })}>
            <span>{t.label}</span>
            <span className="muted-text">
              {int(t.comments)} · {int(t.negative)} negative
            </span>
          </button>{' '}
          <Link to={drillTo({ of: 'topic', topic: t.topic })} data-drill="topic" className="topic-drill" title={`The ${t.comments} comments on ${t.label} and their customers`}>
            who
          </Link>
        </li>
      ))}
    </ul>
  );
}

function Verbatims({ comments }: { comments: CommentDoc[] }): ReactNode {
  return (
    <ul className="verbatims" data-testid="verbatims">
      {comments.map((c) => (
        <li key={`${c.source}:${c.id}`} className={`verbatim ${c.label}`}>
          <blockquote>{c.text}</blockquote>
          <div className="verbatim-meta">
            <Pill tone={c.label === 'negative' ? 'bad' : c.label === 'positive' ? 'good' : undefined}>
              {c.label} {fixed(c.sentiment, 2)}
            </Pill>
            <span title="which scorer gave the label: the rules, or a model learnt from your scored answers">{c.scorer === 'rules' ? 'rules' : c.scorer.replace('model:', 'model ')}</span>
            <span>{c.metric === null ? `message${c.channel === null ? '' : ` · ${c.channel}`}` : `${c.scope ?? ''} ${c.metric.toUpperCase()} ${c.score ?? ''}`}</span>
            {c.topics.map((t) => (
              <Pill key={t} tone="info">
                {t.replace(/_/g, ' ')}
              </Pill>
            ))}
            <span className="muted-text">
              {date(c.ts)} · {c.survey_id ?? c.conversation_id ?? c.id}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

const COMMENTS_PER_PAGE = 40;

/** Comments n–m of the total, with the pages before and after. */
function Pager({ pageNo, shown, total }: { pageNo: number; shown: number; total: number | null }): ReactNode {
  const first = (pageNo - 1) * COMMENTS_PER_PAGE + 1;
  const last = first + shown - 1;
  const pages = total === null ? null : Math.max(1, Math.ceil(total / COMMENTS_PER_PAGE));
  return (
    <nav className="pager" aria-label="Comment pages">
      <button type="button" className="secondary" disabled={pageNo <= 1} onClick={() => setQuery({ page: pageNo - 1 <= 1 ? null : String(pageNo - 1) })}>
        Previous
      </button>
      <span data-testid="comments-range">
        {int(first)}–{int(last)} of {total === null ? '…' : int(total)} comments
      </span>
      <button type="button" className="secondary" disabled={pages !== null ? pageNo >= pages : shown < COMMENTS_PER_PAGE} onClick={() => setQuery({ page: String(pageNo + 1) })}>
        Next
      </button>
    </nav>
  );
}

export default function FeedbackPage(): ReactNode {
  const { query } = useLocation();
  const by = query.get('by') ?? 'scope';
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  const topic = query.get('topic') ?? '';
  const sentiment = query.get('sentiment') ?? '';
  const scope = query.get('scope') ?? '';
  const metric = query.get('metric') ?? '';

  const metrics = useApi<MetricsDoc>('metrics', { by, from, to });
  const topics = useApi<TopicSummary[]>('feedback/topics');
  // Comments wait for the topics: the first request after an import analyses new comments, and
  // two analyses at once collide on the server (a known server issue), so one goes first.
  const pageNo = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const commentFilter = { topic, sentiment, scope, metric, from, to };
  const comments = useApi<CommentDoc[]>(topics.status === 'loading' ? null : 'feedback/comments', { ...commentFilter, limit: COMMENTS_PER_PAGE, offset: (pageNo - 1) * COMMENTS_PER_PAGE });
  // After the comments, for the same reason as above.
  const total = useApi<{ total: number }>(comments.status === 'loading' ? null : 'feedback/comments/total', commentFilter);

  return (
    <Page title="Feedback" intro="What customers answered and what they wrote. Relationship and transaction answers are never mixed, and small samples are marked.">
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Period and breakdown">
        <Field label="Break down by">
          <select name="by" value={by} onChange={(e) => setQuery({ by: e.target.value })}>
            {BREAKDOWNS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="From">
          <input type="date" name="from" value={from} onChange={(e) => setQuery({ from: e.target.value })} />
        </Field>
        <Field label="To">
          <input type="date" name="to" value={to} onChange={(e) => setQuery({ to: e.target.value })} />
        </Field>
      </form>
      <section className="card" aria-labelledby="metrics-title">
        <h2 id="metrics-title">Metrics by {BREAKDOWNS.find(([k]) => k === by)?.[1].toLowerCase() ?? by}</h2>
        <Show result={metrics} what="metrics" isEmpty={(m) => (m.by ?? []).length === 0} empty="No answers in this period: widen it, or import feedback.">
          {(m) => <MetricsTable doc={m} />}
        </Show>
      </section>
      <div className="grid feedback-layout">
        <section className="card" aria-labelledby="topics-title">
          <h2 id="topics-title">Topics</h2>
          <Show result={topics} what="topics" isEmpty={(t) => t.length === 0} empty="No comments to sort into topics yet.">
            {(t) => <Topics topics={t} current={topic} />}
          </Show>
        </section>
        <section className="card" aria-labelledby="verbatims-title">
          <h2 id="verbatims-title">Verbatims</h2>
          <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Verbatim filters">
            <Field label="Sentiment">
              <select name="sentiment" value={sentiment} onChange={(e) => setQuery({ sentiment: e.target.value, page: null })}>
                <option value="">Any</option>
                <option value="negative">Negative</option>
                <option value="neutral">Neutral</option>
                <option value="positive">Positive</option>
              </select>
            </Field>
            <Field label="Scope">
              <select name="scope" value={scope} onChange={(e) => setQuery({ scope: e.target.value, page: null })}>
                <option value="">Any</option>
                <option value="relationship">Relationship</option>
                <option value="transaction">Transaction</option>
              </select>
            </Field>
            <Field label="Metric">
              <select name="metric" value={metric} onChange={(e) => setQuery({ metric: e.target.value, page: null })}>
                <option value="">Any</option>
                <option value="nps">NPS</option>
                <option value="csat">CSAT</option>
                <option value="ces">CES</option>
              </select>
            </Field>
            {topic !== '' && (
              <button type="button" className="link-button" onClick={() => setQuery({ topic: null })}>
                Topic: {topic.replace(/_/g, ' ')} ✕
              </button>
            )}
          </form>
          <Show result={comments} what="verbatims" isEmpty={(c) => c.length === 0} empty="No comments match these filters: clear a filter to see more.">
            {(c) => (
              <>
                <Verbatims comments={c} />
                <Pager pageNo={pageNo} shown={c.length} total={total.status === 'ok' ? total.data.total : null} />
              </>
            )}
          </Show>
        </section>
      </div>
    </Page>
  );
}
