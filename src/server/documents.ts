/**
 * The response documents of the HTTP API as JSON schemas, for the OpenAPI description at
 * /api/docs (docs/cli.md lists the same documents). They are filled into each route's `200`
 * answer by `documentResponses`, in one table rather than beside every route, so that a route
 * declares what it takes and this file what it answers.
 *
 * Every object allows properties beyond those named (documents may gain fields; docs/cli.md
 * promises only that named ones stay), and leaves whose type varies (a time that is a number in
 * one document and ISO text in another) are left untyped: a response schema also drives the
 * serializer, and must never coerce or drop what a route returns. app.test.ts holds every
 * analysis's answer against its domain function's to keep it so.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

type Schema = Record<string, unknown>;

const num: Schema = { type: ['number', 'null'] };
const int: Schema = { type: ['integer', 'null'] };
const str: Schema = { type: ['string', 'null'] };
const bool: Schema = { type: ['boolean', 'null'] };
/** A value whose JSON type is not the same everywhere it appears. */
const any = (description: string): Schema => ({ description });
const strings: Schema = { type: 'array', items: { type: 'string' } };

/** An object with these properties named (each `{}` when only its name is promised), open to more. */
function obj(properties: Record<string, Schema>, description?: string): Schema {
  return { type: 'object', properties, additionalProperties: true, ...(description ? { description } : {}) };
}
const list = (items: Schema, description?: string): Schema => ({ type: 'array', items, ...(description ? { description } : {}) });
/** `{key: count}`: a map from ids to numbers. */
const counts = (description: string): Schema => ({ type: 'object', additionalProperties: true, description });
/** Names only: the properties a document promises, their values as they come. */
const named = (names: string, description?: string): Schema => obj(Object.fromEntries(names.split(/,\s*/).map((n) => [n, {}])), description);

const journeyStats = {
  journeys: int,
  customers: int,
  resolved_rate: num,
  unresolved_rate: num,
  abandoned_rate: num,
  median_steps: num,
  median_duration_s: num,
  median_effort_s: num,
  channel_switch_rate: num,
  assisted_rate: num,
  digital_journeys: int,
  containment_rate: num,
};
const durations = { mean_seconds: num, median_seconds: num, p90_seconds: num };
const metric = named('n, score, ci95', 'one metric: n answers, score, 95% interval, and its own counts (promoters… for NPS, mean for CSAT, percent_easy for CES)');
const metricsByScope = obj({ relationship: metric, transaction: metric });
const caseRow = named('case_id, customer_key, response_ids, opened_at, due_at, status, owner, reason, root_cause_step, hidden_at_risk', 'a closed-loop case');

const DOCUMENTS: Record<string, Schema> = {
  'GET /healthz': named('status, collector, context_cache', 'whether the server is well (503 and `reason` when the collector cannot take events)'),
  'GET /api/v1/journeys': obj({
    ...journeyStats,
    preferred_channels: list(obj({ channel: str, customers: int, share: num })),
    by_intent: list(obj({ intent: str, ...journeyStats })),
    by_start_channel: list(obj({ channel: str, ...journeyStats })),
  }),
  'GET /api/v1/map': obj({
    by: str,
    journeys: int,
    nodes: list(obj({ id: str, count: int })),
    edges: list(obj({ from: str, to: str, count: int, ...durations })),
    start: counts('journeys by their first node'),
    end: counts('journeys by their last node'),
  }),
  'GET /api/v1/variants': obj({
    by: str,
    journeys: int,
    distinct_variants: int,
    case_duration: obj(durations),
    variants: list(obj({ sequence: strings, count: int, ...durations })),
  }),
  'GET /api/v1/broken': list(
    obj({
      channel: str,
      activity: str,
      events: int,
      failures: int,
      failure_rate: num,
      customers_affected: int,
      switch_rate: num,
      repeat_contact_rate: num,
      downstream_contacts: num,
      satisfaction_drop: num,
      impact: num,
    }),
  ),
  'GET /api/v1/metrics': obj({ nps: metricsByScope, csat: metricsByScope, ces: metricsByScope }, 'with ?by=…, the same per group'),
  'GET /api/v1/cases': list(caseRow),
  'GET /api/v1/cases/rollup': list(named('root_cause_step', 'cases grouped by root-cause step')),
  'GET /api/v1/cases/hidden': list(named('customer_key', 'a hidden-at-risk customer')),
  'GET /api/v1/cases/{id}': obj({ ...caseRow.properties as Record<string, Schema>, answers: any('the answers the case gathers'), history: any('what was done, by whom, when') }),
  'POST /api/v1/cases/{id}/contact': caseRow,
  'POST /api/v1/cases/{id}/resolve': caseRow,
  'POST /api/v1/cases/{id}/close': caseRow,
  'GET /api/v1/feedback/comments': list(named('id, source, ts, customer_key, text, sentiment, label, topics', 'a comment, most negative first')),
  'GET /api/v1/feedback/comments/total': obj({ total: int }),
  'GET /api/v1/drill': named('of, title, unit, total, customers, times, rows', 'the journeys, answers or comments behind a figure, each with its customer\'s name and phone'),
  'GET /api/v1/feedback/topics': list(named('topic, label, keywords, comments, negative, positive')),
  'GET /api/v1/feedback/praise': list(named('agent_id', 'praise a customer gave a named employee')),
  'GET /api/v1/agents': list(named('agent_id, contacts, responses, raw_csat, adjusted_csat, ci95, inherited_friction, rank_raw, rank_adjusted')),
  'GET /api/v1/teams': any('per team: team, agents, contacts, adjusted_csat, ci95, praise, enps, enps_n (enps null under 5 answers); with association=true, the rows and how the teams\' measures go together'),
  'GET /api/v1/outbound': named(
    'follow_days, contacts, overall, by_channel, by_activity, by_hour, by_frequency, by_channel_hour, by_activity_hour, findings, guard',
    'what follows outbound contacts, by channel, kind, local hour and frequency, and what of it the guard already stops',
  ),
  'GET /api/v1/drivers': list(named('factor, kind, exposed, detractor_rate_exposed, detractor_rate_unexposed, lift, effect, ci95')),
  'GET /api/v1/risk': list(obj({ customer_key: str, score: num, reasons: strings, hidden_at_risk: bool })),
  'GET /api/v1/surveys': list(named('survey_id', 'a survey definition')),
  'GET /api/v1/surveys/{id}': named('survey_id', 'a survey definition'),
  'GET /api/v1/promises': named('kept_rate, by_agent, by_kind, open, broken'),
  'GET /api/v1/customers/{id}': named('customer_key, identifiers, records'),
  'GET /api/v1/customers/{id}/context': named(
    'customer_key, identifiers, holdings, open_journeys, recent, failures, feedback, cases, promises, preferred_channel, risk, talking_points, suppressed_offers',
    'what an agent sees while the customer is on the line',
  ),
  'POST /api/v1/engage/evaluate': named('allowed, reasons', 'the guard’s decision on one proposed contact'),
  'GET /api/v1/engage/policies': any('the engagement policies in effect'),
  'GET /api/v1/engage/decisions': list(any('a decision the guard made')),
  'GET /api/v1/keys': list(named('id, role, name, created_at, revoked_at', 'a key (never its secret)')),
  'DELETE /api/v1/keys/{id}': named('id, revoked_at'),
  // HTML for a browser; with Accept: application/json, the dialogue's next message. No type: the
  // serializer must pass either through as it is.
  'GET /s/{token}': any('the survey page (HTML)'),
  'POST /s/{token}': any('the survey page after an answer (HTML), or with Accept: application/json the next message {text, done, session, expects}'),
};

const has2xx = (response: unknown): boolean => typeof response === 'object' && response !== null && Object.keys(response).some((c) => /^2/.test(c));

/** Gives each route in the table its `200` document, unless the route declares its own 2xx answer. */
export function documentResponses(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const url = route.url.replace(/:(\w+)/g, '{$1}');
    const doc = methods.map((m) => DOCUMENTS[`${m} ${url}`]).find((d) => d !== undefined);
    if (doc === undefined || route.schema === undefined) return;
    const response = route.schema.response as Record<string, unknown> | undefined;
    if (has2xx(response)) return;
    route.schema = { ...route.schema, response: { 200: doc, ...(response ?? {}) } };
  });
}
