/**
 * A customer's steps across channels, newest first, with failed steps marked in words and
 * colour (never colour alone). Shared by the customer page and a case's journey.
 */
import type { ReactNode } from 'react';
import type { ContextStep } from '../../src/engage/context.ts';
import { dateTime } from './format.ts';

/** The outcomes the journey module counts as a failed step (engage/context.ts uses the same). */
export const FAILED_OUTCOMES: ReadonlySet<string> = new Set(['failure', 'abandoned', 'transferred']);

export function isFailed(s: Pick<ContextStep, 'outcome'>): boolean {
  return s.outcome !== null && FAILED_OUTCOMES.has(s.outcome);
}

export function Timeline({ steps }: { steps: readonly ContextStep[] }): ReactNode {
  if (steps.length === 0) return <p className="note">No interactions on record.</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {steps.map((s, i) => {
        const failed = isFailed(s);
        return (
          <li key={`${s.ts}-${i}`} className={failed ? 'failed' : undefined} data-channel={s.channel} data-outcome={s.outcome ?? ''}>
            <span className={`channel ch-${s.channel}`}>{s.channel}</span>
            <span className="what">
              {s.activity.replace(/_/g, ' ')}
              {s.direction === 'outbound' && <span className="muted-text"> (we contacted them)</span>}
              {s.agent_id !== null && <span className="muted-text"> · {s.agent_id}</span>}
            </span>
            <span className={failed ? 'outcome bad-text' : 'outcome'}>
              {failed ? '✕ ' : ''}
              {s.outcome ?? ''}
            </span>
            <time dateTime={s.ts}>{dateTime(s.ts)}</time>
          </li>
        );
      })}
    </ol>
  );
}
