/**
 * Surveys: the stored definitions, and a preview of one: its questions in order, each score
 * question's branches (what the customer is told, what happens, where it goes next), and a
 * score picker that shows which branch a given answer takes.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { Branch, Question, SurveyDefinition } from '../../../src/feedback/survey-definition.ts';
import type { SurveySummary } from '../../../src/feedback/surveys.ts';
import { useApi } from '../data.ts';
import { date, int } from '../format.ts';
import { Link, useLocation } from '../router.tsx';
import { Empty, Page, Pill, Show } from '../ui.tsx';

/** The scales of score questions (survey-definition.ts SCALES). */
const SCALES: Readonly<Record<string, readonly [number, number]>> = { nps: [0, 10], csat: [1, 5], ces: [1, 7] };

/** `{first_name|there}` shown as a highlighted slot, so a reader sees what is filled in per customer. */
function Template({ text }: { text: string }): ReactNode {
  const parts = text.split(/(\{[^}]+\})/g);
  return (
    <>
      {parts.map((p, i) =>
        /^\{[^}]+\}$/.test(p) ? (
          <span key={i} className="slot" title="filled in for each customer">
            {p.slice(1, -1).split('|')[0]!.replace(/_/g, ' ')}
          </span>
        ) : (
          <span key={i}>{p}</span>
        ),
      )}
    </>
  );
}

function actionWords(a: Branch['actions'][number]): string {
  return a.type === 'open_case' ? 'opens a case' : a.type === 'offer_callback' ? 'offers a callback' : `calls ${a.url}`;
}

function BranchView({ b, active }: { b: Branch; active: boolean }): ReactNode {
  return (
    <li className={active ? 'branch active' : 'branch'} aria-current={active ? 'true' : undefined}>
      <strong>
        {b.when.min === b.when.max ? b.when.min : `${b.when.min}–${b.when.max}`}
      </strong>
      {': '}
      {b.message !== null ? <Template text={b.message} /> : <span className="muted-text">the built-in reply for this band</span>}{' '}
      {b.actions.map((a, i) => (
        <Pill key={i} tone={a.type === 'webhook' ? 'info' : 'warn'}>
          {actionWords(a)}
        </Pill>
      ))}
      {b.next !== null && <span className="muted-text"> → {b.next === 'end' ? 'ends the survey' : `goes to “${b.next}”`}</span>}
    </li>
  );
}

function QuestionView({ q, n }: { q: Question; n: number }): ReactNode {
  const scale = SCALES[q.kind];
  const [score, setScore] = useState<number | null>(null);
  const active = score === null ? null : q.branches.find((b) => score >= b.when.min && score <= b.when.max) ?? null;
  return (
    <li className="question card">
      <h3>
        {n}. <Template text={q.text} />
      </h3>
      <p className="muted-text">
        {q.id} · {q.kind}
        {scale !== undefined && ` (${scale[0]}–${scale[1]})`}
        {q.next !== null && ` · then ${q.next === 'end' ? 'the survey ends' : `“${q.next}”`}`}
      </p>
      {q.choices.length > 0 && (
        <ul className="inline-list">
          {q.choices.map((c) => (
            <li key={c}>
              <Pill>{c}</Pill>
            </li>
          ))}
        </ul>
      )}
      {scale !== undefined && (
        <fieldset className="scores">
          <legend>Preview an answer</legend>
          {Array.from({ length: scale[1] - scale[0] + 1 }, (_, i) => scale[0] + i).map((s) => (
            <button key={s} type="button" className={score === s ? 'score active' : 'score'} aria-pressed={score === s} onClick={() => setScore(score === s ? null : s)}>
              {s}
            </button>
          ))}
        </fieldset>
      )}
      {q.branches.length > 0 && <ul className="branches">{q.branches.map((b, i) => <BranchView key={i} b={b} active={active === b} />)}</ul>}
      {score !== null && active === null && <p className="note">No branch for {score}: the survey goes on to the next question.</p>}
    </li>
  );
}

function Preview({ id }: { id: string }): ReactNode {
  const survey = useApi<SurveyDefinition>('surveys/{id}', {}, { id });
  return (
    <Page title={`Survey ${id}`} intro={<Link to="/surveys">← All surveys</Link>}>
      <Show result={survey} what="the survey">
        {(s) => (
          <>
            <section className="card">
              <h2>{s.name}</h2>
              <p>
                {s.type} survey for {s.company} · links last {int(s.link_expiry_hours)} hours · at most one survey per {s.contact_rules.cooldown_days} days
                {s.contact_rules.skip_if_open_case && ', never while a case is open'}
              </p>
            </section>
            <ol className="questions" data-testid="questions">
              {s.questions.map((q, i) => (
                <QuestionView key={q.id} q={q} n={i + 1} />
              ))}
            </ol>
            <p className="note">
              Closing message: <Template text={s.closing_message} />
            </p>
          </>
        )}
      </Show>
    </Page>
  );
}

export default function SurveysPage(): ReactNode {
  const { path } = useLocation();
  const id = path.startsWith('/surveys/') ? decodeURIComponent(path.slice('/surveys/'.length)) : null;
  const list = useApi<SurveySummary[]>(id === null ? 'surveys' : null);
  if (id !== null) return <Preview id={id} />;
  return (
    <Page title="Surveys" intro="The surveys Throughline sends, and what each says and does for every answer.">
      <Show
        result={list}
        what="surveys"
        isEmpty={(l) => l.length === 0}
        empty={
          <>
            No survey is defined yet. Add one with <code>throughline surveys add FILE</code> (docs/feedback.md, “Survey definitions”).
          </>
        }
      >
        {(l) => (
          <div className="table-wrap">
            <table data-testid="surveys-table">
              <caption className="sr-only">Surveys</caption>
              <thead>
                <tr>
                  <th scope="col">Survey</th>
                  <th scope="col">Type</th>
                  <th scope="col" className="num">
                    Questions
                  </th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {l.map((s) => (
                  <tr key={s.survey_id}>
                    <th scope="row">
                      <Link to={`/surveys/${encodeURIComponent(s.survey_id)}`}>{s.name}</Link> <span className="muted-text">{s.survey_id}</span>
                    </th>
                    <td>{s.type}</td>
                    <td className="num">{s.questions}</td>
                    <td>{date(s.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
      {list.status === 'ok' && list.data.length === 0 && <Empty>Answers imported from other tools still count in Feedback; only surveys sent by Throughline are defined here.</Empty>}
    </Page>
  );
}
