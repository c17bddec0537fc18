/**
 * Every CLI analysis at `GET /api/v1/<command>`, with the command's options as query parameters
 * and the document its `--json` prints. Each analysis is one entry below: adding a command's
 * endpoint is one line that calls the same domain function the command calls.
 */
import type { FastifyInstance } from 'fastify';
import { caseRollup, computeMetrics, countComments, getSurvey, listComments, listHiddenAtRisk, listPraise, listSurveys, METRICS_BY, topicSummary } from '../../feedback/index.ts';
import type { MetricsBy } from '../../feedback/index.ts';
import type { SentimentLabel } from '../../feedback/sentiment.ts';
import { brokenSteps, journeyMap, journeysDocument, journeyVariants, JOURNEY_OUTCOMES, MAP_BY, parseJourneyFilter } from '../../journey/index.ts';
import type { MapBy } from '../../journey/index.ts';
import { parseBound } from '../../journey/filters.ts';
import { agentsAnalysis, currentCases, DEFAULT_HORIZON_DAYS, DEFAULT_MIN_EXPOSED, DEFAULT_WINDOW_DAYS, DRIVER_METRICS, driversReport, promisesReport, riskReport } from '../../insight/index.ts';
import type { DriverMetric } from '../../insight/index.ts';
import { ANSWER_GROUPS, drill, DRILL_KINDS } from '../../insight/drill.ts';
import type { AnswerGroup, DrillKind } from '../../insight/drill.ts';
import type { Store } from '../../store/store.ts';
import { ERROR_SCHEMA } from '../errors.ts';
import type { Role } from '../keys.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface Analysis {
  readonly name: string;
  readonly description: string;
  /** JSON-schema properties of the query string: the command's options. */
  readonly params: Readonly<Record<string, object>>;
  readonly access: readonly Role[];
  readonly run: (ctx: { store: Store; now: number }, q: Query) => Promise<unknown>;
}

const text = (description: string): object => ({ type: 'string', minLength: 1, description });
const oneOf = (values: readonly string[], fallback: string, description: string): object => ({ type: 'string', enum: [...values], default: fallback, description });
const top = (fallback: number): Record<string, object> => ({ top: { type: 'integer', minimum: 1, maximum: 100_000, default: fallback, description: 'list the N first' } });

/** The journey filters every journey command takes (`addJourneyFilters` in cli/journeys.ts). */
const FILTERS: Record<string, object> = {
  intent: text('only journeys toward this intent'),
  channel: text('only journeys with a step in this channel'),
  from: text('only journeys that started on or after this ISO date'),
  to: text('only journeys that started on or before this ISO date (a date includes its whole day, UTC)'),
};
const OUTCOME = { outcome: { type: 'string', enum: [...JOURNEY_OUTCOMES], description: 'only journeys that ended so' } };

const s = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
const filter = (q: Query) => parseJourneyFilter({ intent: s(q.intent), channel: s(q.channel), from: s(q.from), to: s(q.to), outcome: s(q.outcome) });
const ANALYST: readonly Role[] = ['analyst'];
const bound = (name: string, v: unknown, upper: boolean): number | undefined => (v === undefined ? undefined : parseBound(name, String(v), upper));

function analysis(name: string, description: string, params: Record<string, object>, run: Analysis['run'], access: readonly Role[] = ANALYST): Analysis {
  return { name, description, params, access, run };
}

export const ANALYSES: readonly Analysis[] = [
  analysis('journeys', 'Journey summary: outcomes, channel switches, assisted contacts, containment, preferred channels', { ...FILTERS, ...OUTCOME }, ({ store }, q) =>
    journeysDocument(store, filter(q)),
  ),
  analysis('map', 'The journey map: which step directly follows which', { ...FILTERS, ...OUTCOME, by: oneOf(MAP_BY, 'step', 'nodes are steps, activities or channels') }, ({ store }, q) =>
    journeyMap(store, { ...filter(q), by: (q.by ?? 'step') as MapBy }),
  ),
  analysis(
    'variants',
    'The distinct step sequences of journeys, most frequent first',
    { ...FILTERS, ...OUTCOME, ...top(20), by: oneOf(MAP_BY, 'step', 'sequences of steps, activities or channels') },
    ({ store }, q) => journeyVariants(store, { ...filter(q), by: (q.by ?? 'step') as MapBy, top: Number(q.top ?? 20) }),
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
    ['analyst', 'agent'],
  ),
  analysis('cases/rollup', 'Cases grouped by root-cause step', {}, ({ store, now }) => caseRollup(store, now)),
  analysis('cases/hidden', 'Hidden-at-risk customers: good transaction answers, a detractor on the relationship', {}, ({ store }) => listHiddenAtRisk(store)),
  analysis(
    'feedback/comments',
    'Comment verbatims with sentiment and topics, most negative first',
    {
      topic: text('a topic id'),
      sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
      scope: { type: 'string', enum: ['relationship', 'transaction'] },
      metric: { type: 'string', enum: ['nps', 'csat', 'ces'] },
      from: text('answers on or after this ISO date'),
      to: text('answers up to and including this ISO date'),
      limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 50 },
      offset: { type: 'integer', minimum: 0, default: 0, description: 'skip this many first, to page through all comments' },
    },
    ({ store }, q) =>
      listComments(store, {
        topic: s(q.topic),
        sentiment: s(q.sentiment) as SentimentLabel | undefined,
        scope: s(q.scope),
        metric: s(q.metric),
        from: q.from === undefined ? undefined : parseBound('--from', String(q.from), false),
        to: q.to === undefined ? undefined : parseBound('--to', String(q.to), true),
        limit: Number(q.limit ?? 50),
        offset: Number(q.offset ?? 0),
      }),
  ),
  analysis(
    'feedback/comments/total',
    'How many comments feedback/comments pages through with these filters',
    {
      topic: text('a topic id'),
      sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
      scope: { type: 'string', enum: ['relationship', 'transaction'] },
      metric: { type: 'string', enum: ['nps', 'csat', 'ces'] },
      from: text('answers on or after this ISO date'),
      to: text('answers up to and including this ISO date'),
    },
    ({ store }, q) =>
      countComments(store, {
        topic: s(q.topic),
        sentiment: s(q.sentiment) as SentimentLabel | undefined,
        scope: s(q.scope),
        metric: s(q.metric),
        from: q.from === undefined ? undefined : parseBound('--from', String(q.from), false),
        to: q.to === undefined ? undefined : parseBound('--to', String(q.to), true),
      }),
  ),
  analysis('feedback/topics', 'Comments per topic', {}, ({ store }) => topicSummary(store, {})),
  analysis('feedback/praise', 'Praise customers gave named employees, by team', { team: text('only this team') }, ({ store }, q) => listPraise(store, { team: s(q.team) })),
  analysis('agents', "Each employee's CSAT adjusted for the friction they inherited", { by: { type: 'string', enum: ['agent', 'team'] }, from: text('ISO date'), to: text('ISO date') }, async ({ store }, q) => {
    const a = await agentsAnalysis(store, { from: bound('--from', q.from, false), to: bound('--to', q.to, true) });
    return q.by === 'team' ? a.teams : a.agents;
  }),
  analysis(
    'drivers',
    'What makes customers detractors',
    {
      metric: { type: 'string', enum: [...DRIVER_METRICS], default: 'nps' },
      ...top(15),
      'window-days': { type: 'integer', minimum: 1, default: DEFAULT_WINDOW_DAYS },
      'min-exposed': { type: 'integer', minimum: 1, default: DEFAULT_MIN_EXPOSED },
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
  analysis('risk', 'Customers most at risk of cancelling, with reasons', { ...top(25), 'as-of': text('ISO date or time'), 'horizon-days': { type: 'integer', minimum: 1, default: DEFAULT_HORIZON_DAYS } }, ({ store }, q) =>
    riskReport(store, { top: Number(q.top ?? 25), horizonDays: Number(q['horizon-days'] ?? DEFAULT_HORIZON_DAYS), asOf: bound('--as-of', q['as-of'], false) }),
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
      'window-days': { type: 'integer', minimum: 1, default: DEFAULT_WINDOW_DAYS },
      'min-exposed': { type: 'integer', minimum: 1, default: DEFAULT_MIN_EXPOSED },
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
