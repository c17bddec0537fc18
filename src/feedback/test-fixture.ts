/**
 * A small hand-checkable world for the feedback tests (test code only): six customers, their
 * journeys and answers, with every expected metric written down in metrics.test.ts.
 */
import { createTestFeedback, createTestInteraction, writeCsv } from '../../test/support/fixtures.ts';
import type { Fields } from '../../test/support/fixtures.ts';
import { importFiles } from '../ingest/import.ts';
import type { ImportSummary } from '../ingest/import.ts';
import type { Store } from '../store/store.ts';

export const FIXTURE_INTERACTIONS: readonly Fields[] = [
  // C1: the web payment fails, then they call and an agent takes the payment.
  createTestInteraction({ event_id: 'e1', customer_id: 'C1', ts: '2026-06-03T10:00:00Z', channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'failure' }),
  createTestInteraction({ event_id: 'e2', customer_id: 'C1', ts: '2026-06-03T11:00:00Z', channel: 'call', activity: 'pay_bill/agent_payment', outcome: 'success', agent_id: 'AG-1' }),
  // C2: a call about their internet.
  createTestInteraction({ event_id: 'e3', customer_id: 'C2', ts: '2026-06-03T09:00:00Z', channel: 'call', activity: 'tech_support/agent_troubleshoot', outcome: 'success', agent_id: 'AG-2' }),
  // C3: a store visit.
  createTestInteraction({ event_id: 'e4', customer_id: 'C3', ts: '2026-06-02T15:00:00Z', channel: 'store', activity: 'plan_change/store_change', outcome: 'success', agent_id: 'ST-1', store_id: 'Downtown' }),
  // C6: a pleasant call, yet a detractor about the company.
  createTestInteraction({ event_id: 'e5', customer_id: 'C6', ts: '2026-06-01T10:00:00Z', channel: 'call', activity: 'plan_change/agent_change', outcome: 'success', agent_id: 'AG-1' }),
  // Other customers' web payments, so the step's failure rate is 1 in 4.
  createTestInteraction({ event_id: 'e6', customer_id: 'C7', ts: '2026-06-01T10:00:00Z', channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'success' }),
  createTestInteraction({ event_id: 'e7', customer_id: 'C8', ts: '2026-06-01T10:00:00Z', channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'success' }),
  createTestInteraction({ event_id: 'e8', customer_id: 'C9', ts: '2026-06-01T10:00:00Z', channel: 'web', activity: 'pay_bill/submit_payment', outcome: 'success' }),
];

export const FIXTURE_PROFILES: readonly Fields[] = [
  { customer_id: 'C1', name: 'Dana Whitfield', timezone: 'UTC' },
  { customer_id: 'C2', name: 'Lee Park' },
];

const rel = (id: string, customer: string, score: number, overrides: Fields = {}): Fields =>
  createTestFeedback({ response_id: id, customer_id: customer, ts: '2026-06-05T12:00:00Z', survey_id: 'rel_nps_q', metric: 'nps', scope: 'relationship', score, ...overrides });
const tx = (id: string, customer: string, metric: string, score: number, event: string | undefined, agent: string | undefined, overrides: Fields = {}): Fields =>
  createTestFeedback({
    response_id: id,
    customer_id: customer,
    ts: '2026-06-03T12:00:00Z',
    survey_id: `post_${metric}`,
    metric,
    scope: 'transaction',
    score,
    event_id: event,
    agent_id: agent,
    ...overrides,
  });

export const FIXTURE_FEEDBACK: readonly Fields[] = [
  // Relationship NPS: promoters C2, C3; passive C4; detractors C1, C5, C6 → n 6, NPS (2 − 3) / 6 = −16.67.
  // C6's answer carries an agent id on purpose: an agent is still never scored on it.
  rel('n1', 'C1', 2, { comment: 'The website kept failing when I tried to pay my bill, so I ended up calling.' }),
  rel('n2', 'C2', 9),
  rel('n3', 'C3', 10),
  rel('n4', 'C4', 7),
  rel('n5', 'C5', 0),
  rel('n6', 'C6', 4, { agent_id: 'AG-1' }),
  // Transaction NPS: 10, 10, 5 → promoters 2, detractors 1 → NPS 33.33.
  tx('t1', 'C1', 'nps', 10, 'e2', 'AG-1'),
  tx('t2', 'C3', 'nps', 10, 'e4', undefined),
  tx('t3', 'C2', 'nps', 5, 'e3', 'AG-2'),
  // CSAT: 2 (C1 about AG-1), 1 (C2 about AG-2), 4 (C3 in store), 5 (C6 about AG-1) → 50% satisfied, mean 3.
  tx('s1', 'C1', 'csat', 2, 'e2', 'AG-1', { ts: '2026-06-03T11:30:00Z' }),
  tx('s2', 'C2', 'csat', 1, 'e3', 'AG-2'),
  tx('s3', 'C3', 'csat', 4, 'e4', undefined),
  tx('s4', 'C6', 'csat', 5, 'e5', 'AG-1'),
  // CES: 7, 3, 5 → mean 5, 2 of 3 easy.
  tx('c1', 'C7', 'ces', 7, 'e6', undefined),
  tx('c2', 'C1', 'ces', 3, 'e1', undefined),
  tx('c3', 'C8', 'ces', 5, 'e7', undefined),
];

export async function importFixture(store: Store, dir: string, options: { createCases?: boolean } = {}): Promise<ImportSummary> {
  return importFiles(
    store,
    [writeCsv(dir, 'profiles.csv', FIXTURE_PROFILES), writeCsv(dir, 'interactions.csv', FIXTURE_INTERACTIONS), writeCsv(dir, 'feedback.csv', FIXTURE_FEEDBACK)],
    { createCases: options.createCases ?? true, rejectsPath: `${dir}/rejects.jsonl` },
  );
}

/** A relationship NPS survey by SMS with a detractor branch, a promoter branch and a staff list. */
export function createTestSurvey(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'rel_nps_sms',
    name: 'How are we doing?',
    type: 'relationship',
    company: 'Northwind Mobile',
    questions: [
      {
        id: 'nps',
        kind: 'nps',
        text: 'How likely are you to recommend {company} to a friend?',
        branches: [
          { when: 'detractor', actions: [{ type: 'open_case' }, { type: 'offer_callback' }, { type: 'webhook', url: 'https://hooks.example.com/cx' }] },
          { when: 'promoter', message: 'Thank you {first_name}!', next: 'thanks' },
        ],
      },
      { id: 'why', kind: 'text', text: 'What is the main reason for your score?' },
      { id: 'thanks', kind: 'text', text: 'Is there anyone you would like to thank?' },
    ],
    staff: [{ id: 'AG-1', name: 'Maria Lopez', team: 'billing' }],
    contact_rules: { cooldown_days: 30, max_per_period: { count: 2, days: 90 }, skip_if_open_case: true },
    ...overrides,
  };
}
