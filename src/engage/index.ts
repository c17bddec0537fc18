/**
 * Engagement: the live customer context an agent reads while the customer is still there, and
 * the engagement guard that decides whether an offer, a service message, a survey or a reminder
 * may go out now (relevance, respect, credibility, value). Edges (CLI, server) call only what is here.
 */
export { customerContext, buildContext } from './context.ts';
export type { ContextDoc, ContextJourney, ContextOptions, ContextPromise, ContextStep } from './context.ts';
export { caseRow, factsAt, loadCustomerRows, loadFacts, loadRows, OPEN_CASES_SQL, openJourneys, outboundBetween, sortCases } from './facts.ts';
export type { CustomerFacts, CustomerRows, CustomerScope, PromiseState } from './facts.ts';
export { credibilityBlocks, decide, evaluate, listDecisions, loadGuardInputs, offerBlocks, quietUntil } from './guard.ts';
export type { Candidate, Decision, DecisionFilter, Evaluation, GuardInputs, OfferBlock, Pillar, RecordedDecision, Verdict } from './guard.ts';
export { ACTION_KINDS, DEFAULT_POLICIES, parsePolicies, validatePolicies } from './policies.ts';
export type { ActionKind, FrequencyCap, Policies } from './policies.ts';
export { RISK_WEIGHTS, simpleRisk } from './risk.ts';
export type { Risk } from './risk.ts';
export { DEFAULT_FOLLOW_DAYS, OUTBOUND_BY, outboundReport } from './outbound.ts';
export type { OutboundBy, OutboundDoc, OutboundFinding, OutboundGroup, OutboundOptions } from './outbound.ts';
