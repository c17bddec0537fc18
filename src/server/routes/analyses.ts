/**
 * Every CLI analysis at `GET /api/v1/<command>`, with the command's options as query parameters
 * and the document its `--json` prints. Each analysis is one entry below: adding a command's
 * endpoint is one line that calls the same domain function the command calls.
 */
import type { FastifyInstance } from 'fastify';
import { caseRollup, computeMetrics, countComments, getSurvey, listComments, listHiddenAtRisk, listPraise, listSurveys, METRICS_BY, TEXT_SOURCES, TOPIC_VIEWS, topicSummary } from '../../feedback/index.ts';
import type { CommentFilter, TextSource, TopicView } from '../../feedback/index.ts';
import type { MetricsBy } from '../../feedback/index.ts';
import type { SentimentLabel } from '../../feedback/sentiment.ts';
import { brokenSteps, journeyMap, journeysDocument, journeyVariants, JOURNEY_OUTCOMES, MAP_BY, parseJourneyFilter } from '../../journey/index.ts';
import type { MapBy } from '../../journey/index.ts';
import { parseBound } from '../../journey/filters.ts';
import { agentsAnalysis, currentCases, DEFAULT_HORIZON_DAYS, DEFAULT_MIN_EXPOSED, DEFAULT_WINDOW_DAYS, DRIVER_METRICS, driversReport, promisesReport, riskReport } from '../../insight/index.ts';
import type { DriverMetric } from '../../insight/index.ts';
import { AGENT_SORTS, namedAgents, teamsAnalysis } from '../../insight/index.ts';
import type { AgentSort } from '../../insight/index.ts';
import { DEFAULT_FOLLOW_DAYS, outboundReport } from '../../engage/index.ts';
import { ANSWER_GROUPS, drill, DRILL_KINDS } from '../../insight/drill.ts';
import type { AnswerGroup, DrillKind } from '../../insight/drill.ts';
import type { Store } from '../../store/store.ts';
import { ERROR_SCHEMA } from '../errors.ts';
import type { Role } from '../keys.ts';

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface Analysis {
  readonly name: string;
  readonly description: string;
  /** JSON-schema properties of the query string: the command's options. */
  readonly params: Readonly<Record<string, object>>;
  readonly access: readonly Role[];
  readonly run: (ctx: { store: Store; now: number }, q: Query) => Promise<unknown>;
}

/**
 * Every number a query takes has a range, so no value can reach the SQL an analysis writes out
 * of range (`window-days=1e308` once did): ten years of days is more than any look-back needs.
 */
const MAX_DAYS = 3650;
const text = (description: string): object => ({ type: 'string', minLength: 1, description });
const oneOf = (values: readonly string[], fallback: string, description: string): object => ({ type: 'string', enum: [...values], default: fallback, description });
/** A parameter that may be repeated; one value arrives as a list of one (coerceTypes: 'array'). */
const texts = (description: string): object => ({ type: 'array', items: { type: 'string', minLength: 1 }, description });
const top = (fallback: number | undefined): Record<string, object> => ({
  top: { type: 'integer', minimum: 1, maximum: 100_000, ...(fallback !== undefined ? { default: fallback } : {}), description: 'list the N first' },
});
/** A map or variants view; absent, the data chooses (steps, or activities when channels say nothing). */
const view = (description: string): object => ({ type: 'string', enum: [...MAP_BY], description: `${description} (default: steps, or activities when the channel carries no information)` });

/** The journey filters every journey command takes (`addJourneyFilters` in cli/journeys.ts). */
const FILTERS: Record<string, object> = {
  intent: text('only journeys toward this intent'),
  channel: text('only journeys with a step in this channel'),
  from: text('only journeys that started on or after this ISO date'),
  to: text('only journeys that started on or before this ISO date (a date includes its whole day, UTC)'),
  contains: texts('only journeys with a step of each of these activities (comma-separated; repeat the parameter for more)'),
  'not-contains': texts('only journeys with no step of any of these activities (comma-separated)'),
  'starts-with': texts('only journeys whose first activity is one of these (comma-separated)'),
  'ends-with': texts('only journeys whose last activity is one of these (comma-separated)'),
  attr: texts('only journeys with an event carrying this imported attribute, as key=value (repeat for more: all must match)'),
  variant: text('only journeys whose activity sequence is exactly this one (comma-separated)'),
  'min-duration': text('only journeys that lasted at least this long, first step to last (90s, 30m, 2h, 3d, 1w)'),
  'max-duration': text('only journeys that lasted at most this long, first step to last (90s, 30m, 2h, 3d, 1w)'),
};
const OUTCOME = { outcome: { type: 'string', enum: [...JOURNEY_OUTCOMES], description: 'only journeys that ended so' } };

const s = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
/** A parameter that may be repeated (`?contains=a&contains=b`): fastify gives an array then. */
const list = (v: unknown): string | string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v));
const filter = (q: Query) =>
  parseJourneyFilter({
    intent: s(q.intent),
    channel: s(q.channel),
    from: s(q.from),
    to: s(q.to),
    outcome: s(q.outcome),
    contains: list(q.contains),
    notContains: list(q['not-contains']),
    startsWith: list(q['starts-with']),
    endsWith: list(q['ends-with']),
    attr: list(q.attr),
    variant: s(q.variant),
    minDuration: s(q['min-duration']),
    maxDuration: s(q['max-duration']),
  });
const ANALYST: readonly Role[] = ['analyst'];
const bound = (name: string, v: unknown, upper: boolean): number | undefined => (v === undefined ? undefined : parseBound(name, String(v), upper));

function analysis(name: string, description: string, params: Record<string, object>, run: Analysis['run'], access: readonly Role[] = ANALYST): Analysis {
  return { name, description, params, access, run };
}

/** What selects comments, for the list and for its total alike. */
const COMMENT_FILTERS: Record<string, object> = {
  source: { type: 'string', enum: [...TEXT_SOURCES], default: 'feedback' },
  view: { type: 'string', enum: [...TOPIC_VIEWS], default: 'negative' },
  topic: text('a topic id'),
  sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
  scope: { type: 'string', enum: ['relationship', 'transaction'] },
  metric: { type: 'string', enum: ['nps', 'csat', 'ces'] },
  from: text('answers on or after this ISO date'),
  to: text('answers up to and including this ISO date'),
};
const commentFilter = (q: Query): CommentFilter => ({
  source: s(q.source) as TextSource | undefined,
  view: s(q.view) as TopicView | undefined,
  topic: s(q.topic),
  sentiment: s(q.sentiment) as SentimentLabel | undefined,
  scope: s(q.scope),
  metric: s(q.metric),
  from: q.from === undefined ? undefined : parseBound('--from', String(q.from), false),
  to: q.to === undefined ? undefined : parseBound('--to', String(q.to), true),
});

export const ANALYSES: readonly Analysis[] = [
  analysis('journeys', 'Journey summary: outcomes, channel switches, assisted contacts, containment, preferred channels', { ...FILTERS, ...OUTCOME }, ({ store }, q) =>
    journeysDocument(store, filter(q)),
  ),
  analysis(
    'map',
    'The journey map: which step directly follows which',
    {
      ...FILTERS,
      ...OUTCOME,
      by: view('nodes are steps, activities or channels'),
      ...top(undefined),
      'min-count': { type: 'integer', minimum: 1, maximum: 1_000_000_000, description: 'keep only edges followed at least this many times' },
    },
    ({ store }, q) =>
      journeyMap(store, {
        ...filter(q),
        ...(q.by !== undefined ? { by: q.by as MapBy } : {}),
        ...(q.top !== undefined ? { top: Number(q.top) } : {}),
        ...(q['min-count'] !== undefined ? { minCount: Number(q['min-count']) } : {}),
      }),
  ),
  analysis(
    'variants',
    'The distinct step sequences of journeys, most frequent first',
    { ...FILTERS, ...OUTCOME, ...top(20), by: view('sequences of steps, activities or channels') },
    ({ store }, q) => journeyVariants(store, { ...filter(q), ...(q.by !== undefined ? { by: q.by as MapBy } : {}), top: Number(q.top ?? 20) }),
  ),
  analysis('broken', 'Broken steps ranked by impact', { ...FILTERS, ...top(10) }, ({ store }, q) => brokenSteps(store, { ...filter(q), top: Number(q.top ?? 10) })),
  analysis(
    'metrics',
    'NPS, CSAT and CES, overall or broken down',
    { by: { type: 'string', enum: [...METRICS_BY], description: 'breakdown' }, from: text('answers on or after this ISO date'), to: text('answers on or before this ISO date') },
    ({ store }, q) =>
      computeMetrics(store, {
        ...(q.by !== undefined ? { by: q.by as MetricsBy } : {}),
        ...(q.from !== undefined ? { from: parseBound('--from', String(q.from), false) } : {}),
        ...(q.to !== undefined ? { to: parseBound('--to', String(q.to), true) } : {}),
      }),
  ),
  analysis(
    'cases',
    'Closed-loop cases',
    {
      status: text('open, contacted, resolved, closed or escalated'),
      owner: text('only cases of this owner'),
      overdue: { type: 'boolean', description: 'only cases past due and not resolved or closed' },
      'hidden-at-risk': { type: 'boolean', description: 'only cases of hidden-at-risk customers' },
    },
    ({ store, now }, q) =>
      currentCases(store, { now, status: s(q.status), owner: s(q.owner), overdue: q.overdue === true ? true : undefined, hiddenAtRisk: q['hidden-at-risk'] === true ? true : undefined }),
    // A list of every case is a list of unhappy customers: agents reach a case through the
    // customer they are serving (the context names its cases), never through this list.
  ),
  analysis('cases/rollup', 'Cases grouped by root-cause step', {}, ({ store, now }) => caseRollup(store, now)),
  analysis('cases/hidden', 'Hidden-at-risk customers: good transaction answers, a detractor on the relationship', {}, ({ store }) => listHiddenAtRisk(store)),
  analysis(
    'feedback/comments',
    'Comment verbatims with sentiment and topics, most negative first',
    {
      ...COMMENT_FILTERS,
      limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 50 },
      offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0, description: 'skip this many first, to page through all comments' },
    },
    ({ store }, q) => listComments(store, { ...commentFilter(q), limit: Number(q.limit ?? 50), offset: Number(q.offset ?? 0) }),
  ),
  analysis(
    'feedback/comments/total',
    'How many comments feedback/comments pages through with these filters',
    COMMENT_FILTERS,
    ({ store }, q) => countComments(store, commentFilter(q)),
  ),
  analysis(
    'feedback/topics',
    'Topics of what customers wrote (discovered from the texts unless a taxonomy is stored); by default those of negative texts, most negative first',
    { source: { type: 'string', enum: [...TEXT_SOURCES], default: 'feedback' }, view: { type: 'string', enum: [...TOPIC_VIEWS], default: 'negative' } },
    ({ store }, q) => topicSummary(store, { source: s(q.source) as TextSource | undefined, view: s(q.view) as TopicView | undefined }),
  ),
  analysis('feedback/praise', 'Praise customers gave named employees, by team', { team: text('only this team') }, ({ store }, q) => listPraise(store, { team: s(q.team) })),
  analysis(
    'agents',
    "Each employee's CSAT adjusted for the friction they inherited, with names from the staff directory; grouped by team unless sort=rank",
    { by: { type: 'string', enum: ['agent', 'team'] }, sort: oneOf(AGENT_SORTS, 'team', 'team: grouped by team; rank: the individual ranking'), from: text('ISO date'), to: text('ISO date') },
    async ({ store }, q) => {
      const a = await agentsAnalysis(store, { from: bound('--from', q.from, false), to: bound('--to', q.to, true) });
      return q.by === 'team' ? a.teams : namedAgents(store, a.agents, a.teams, (q.sort ?? 'team') as AgentSort);
    },
  ),
  analysis(
    'drivers',
    'What makes customers detractors',
    {
      metric: { type: 'string', enum: [...DRIVER_METRICS], default: 'nps' },
      ...top(15),
      'window-days': { type: 'integer', minimum: 1, maximum: MAX_DAYS, default: DEFAULT_WINDOW_DAYS },
      'min-exposed': { type: 'integer', minimum: 1, maximum: 1_000_000_000, default: DEFAULT_MIN_EXPOSED },
      from: text('ISO date'),
      to: text('ISO date'),
    },
    ({ store }, q) =>
      driversReport(store, {
        metric: (q.metric ?? 'nps') as DriverMetric,
        top: Number(q.top ?? 15),
        windowDays: Number(q['window-days'] ?? DEFAULT_WINDOW_DAYS),
        minExposed: Number(q['min-exposed'] ?? DEFAULT_MIN_EXPOSED),
        from: bound('--from', q.from, false),
        to: bound('--to', q.to, true),
      }),
  ),
  analysis('risk', 'Customers most at risk of cancelling, with reasons', { ...top(25), 'as-of': text('ISO date or time'), 'horizon-days': { type: 'integer', minimum: 1, maximum: MAX_DAYS, default: DEFAULT_HORIZON_DAYS } }, ({ store }, q) =>
    riskReport(store, { top: Number(q.top ?? 25), horizonDays: Number(q['horizon-days'] ?? DEFAULT_HORIZON_DAYS), asOf: bound('--as-of', q['as-of'], false) }),
  ),
  analysis(
    'teams',
    "Each team's contacts, adjusted CSAT, praise and customers' NPS beside its employees' eNPS (shown from 5 answers on)",
    { association: { type: 'boolean', description: 'the document {teams, association, caution} instead of the list' }, from: text('ISO date'), to: text('ISO date') },
    async ({ store }, q) => {
      const a = await teamsAnalysis(store, { from: bound('--from', q.from, false), to: bound('--to', q.to, true) });
      return q.association === true ? a : a.teams;
    },
  ),
  analysis(
    'outbound',
    "What follows outbound contacts by channel, kind, the customer's local hour and frequency; the guard's defaults against it",
    { 'follow-days': { type: 'integer', minimum: 1, maximum: 90, default: DEFAULT_FOLLOW_DAYS }, from: text('ISO date'), to: text('ISO date') },
    ({ store }, q) =>
      outboundReport(store, { followDays: Number(q['follow-days'] ?? DEFAULT_FOLLOW_DAYS), from: bound('--from', q.from, false), to: bound('--to', q.to, true) }),
  ),
  analysis(
    'drill',
    'What a figure counts: the journeys, answers or comments behind a KPI, a map edge or step, a driver or a topic, with each customer\'s name and phone',
    {
      of: { type: 'string', enum: [...DRILL_KINDS], description: 'journeys (KPIs), edge and step (the map), answers (NPS/CSAT), driver, topic' },
      ...FILTERS,
      ...OUTCOME,
      by: oneOf(MAP_BY, 'step', 'what edge and step nodes are'),
      'edge-from': text('edge: the step before'),
      'edge-to': text('edge: the step right after'),
      node: text('step: the step'),
      failed: { type: 'boolean', description: 'step: only journeys where it failed' },
      metric: { type: 'string', enum: ['nps', 'csat', 'ces'], description: 'answers and driver: the metric' },
      scope: { type: 'string', enum: ['relationship', 'transaction'], description: 'answers: the scope' },
      group: { type: 'string', enum: [...ANSWER_GROUPS], default: 'all', description: 'answers: detractors, promoters, satisfied…' },
      factor: text('driver: the factor as drivers names it'),
      'window-days': { type: 'integer', minimum: 1, maximum: MAX_DAYS, default: DEFAULT_WINDOW_DAYS },
      'min-exposed': { type: 'integer', minimum: 1, maximum: 1_000_000_000, default: DEFAULT_MIN_EXPOSED },
      topic: text('topic: a topic id'),
      limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 500, description: 'rows at most (total counts all)' },
    },
    ({ store }, q) => {
      const of = (q.of ?? 'journeys') as DrillKind;
      const since = bound('--from', q.from, false);
      const until = bound('--to', q.to, true);
      return drill(store, {
        of,
        // Answers and drivers read from/to as answer times; journey lists as journey starts.
        filter: of === 'answers' || of === 'driver' || of === 'topic' ? {} : filter(q),
        by: (q.by ?? 'step') as MapBy,
        from: s(q['edge-from']),
        to: s(q['edge-to']),
        node: s(q.node),
        failed: q.failed === true,
        metric: s(q.metric),
        scope: s(q.scope),
        group: (q.group ?? 'all') as AnswerGroup,
        since,
        until,
        factor: s(q.factor),
        drivers: {
          metric: (q.metric ?? 'nps') as DriverMetric,
          windowDays: Number(q['window-days'] ?? DEFAULT_WINDOW_DAYS),
          minExposed: Number(q['min-exposed'] ?? DEFAULT_MIN_EXPOSED),
          from: since,
          to: until,
        },
        topic: s(q.topic),
        limit: Number(q.limit ?? 500),
      });
    },
  ),
  analysis('surveys', 'Survey definitions', {}, ({ store }) => listSurveys(store)),
  analysis('promises', 'Promises made to customers: kept rate, open and broken', { 'as-of': text('ISO date or time') }, ({ store, now }, q) => promisesReport(store, { now: bound('--as-of', q['as-of'], false) ?? now })),
];

export function registerAnalyses(app: FastifyInstance, deps: { store: Store; now: () => number }, analyses: readonly Analysis[] = ANALYSES): void {
  for (const a of analyses) {
    app.get(
      `/api/v1/${a.name}`,
      {
        config: { access: a.access },
        schema: {
          summary: `throughline ${a.name} --json`,
          description: `${a.description}. The same document as \`throughline ${a.name} --json\` (spec/CLI.md); query parameters are the command's options.`,
          tags: ['analyses'],
          querystring: { type: 'object', properties: a.params, additionalProperties: false },
          response: { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 429: ERROR_SCHEMA },
        },
      },
      async (request) => a.run({ store: deps.store, now: deps.now() }, request.query as Query),
    );
  }
  // `surveys show ID`: the one analysis with a path parameter.
  app.get(
    '/api/v1/surveys/:id',
    {
      config: { access: ANALYST },
      schema: {
        tags: ['analyses'],
        summary: 'throughline surveys show ID --json',
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1 } }, required: ['id'] },
        response: { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 429: ERROR_SCHEMA },
      },
    },
    async (request) => getSurvey(deps.store, (request.params as { id: string }).id),
  );
}
