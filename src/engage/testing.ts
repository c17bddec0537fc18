/**
 * Test data for the engage tests: customer facts built in memory, so each guard rule is tested
 * on exactly the facts it reads. Nothing here touches a store.
 */
import type { CustomerFacts, OutboundContact } from './facts.ts';
import type { GuardInputs } from './guard.ts';
import type { Risk } from './risk.ts';

export const NOW = Date.parse('2026-06-10T15:00:00Z');
export const DAY = 24 * 3600 * 1000;

export function createTestFacts(overrides: Partial<CustomerFacts> = {}): CustomerFacts {
  return {
    customer_key: 'c-000000000001',
    now: NOW,
    identifiers: [{ type: 'customer_id', value: 'C1', links: true }],
    traits: {},
    timezone: 'UTC',
    holdings: [],
    consents: [],
    promises: [],
    journeys: [],
    events: [],
    feedback: [],
    cases: [],
    preferred: { customer_key: 'c-000000000001', channel: null, votes: [] },
    ...overrides,
  };
}

const LOW_RISK: Risk = { score: 0, level: 'low', reasons: [], model: 'rules-v0' };

export function createTestInputs(facts: Partial<CustomerFacts> = {}, extra: Partial<Omit<GuardInputs, 'facts'>> = {}): GuardInputs {
  return { facts: createTestFacts(facts), outbound: [] as OutboundContact[], risk: LOW_RISK, survey: null, ...extra };
}
