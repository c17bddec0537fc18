/**
 * The collector: Segment's tracking API (`/v1/batch`, `/v1/track`, …) and the data-contract
 * endpoint `POST /api/v1/events`. Both map what they receive to contract records and hand them
 * to the write queue. Segment calls are answered once their records are durable in the
 * server's journal (merged into analyses about a second later); the contract endpoint, which
 * stands in for `throughline import` while a server runs, once they are merged. Per-record
 * problems are listed in the answer; the request fails as a whole only when it cannot be read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { KINDS } from '../../core/records.ts';
import type { Kind } from '../../core/records.ts';
import { detectKind } from '../../ingest/fields.ts';
import { contentProblem } from '../../ingest/limits.ts';
import { preflight } from '../cors.ts';
import { ERROR_SCHEMA } from '../errors.ts';
import { mapSegmentMessage, MAX_EVENT_BYTES, SEGMENT_TYPES, withEnvelope } from '../segment.ts';
import type { SegmentType } from '../segment.ts';
import type { Acknowledge, QueuedRecord, WriteQueue, WriteResult } from '../write-queue.ts';

export interface CollectorLimits {
  /** Bytes per single-event request and per event inside a batch (Segment: 32 KB). */
  readonly eventBytes: number;
  /** Bytes per batch request, Segment's and the contract endpoint's (Segment: 500 KB). */
  readonly batchBytes: number;
}

export const DEFAULT_COLLECTOR_LIMITS: CollectorLimits = Object.freeze({ eventBytes: MAX_EVENT_BYTES, batchBytes: 500 * 1024 });

interface CollectorDeps {
  readonly queue: WriteQueue;
  readonly now: () => number;
  readonly limits: CollectorLimits;
}

interface MessageError {
  index: number;
  messageId: string | null;
  reason: string;
}

const SEGMENT_ANSWER = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    received: { type: 'integer' },
    accepted: { type: 'integer' },
    rejected: { type: 'integer' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { index: { type: 'integer' }, messageId: { type: ['string', 'null'] }, reason: { type: 'string' } } },
    },
  },
} as const;

const tooBig = (bytes: number, limit: number): string => `the event is ${Math.ceil(bytes / 1024)} KB; the limit per event is ${Math.round(limit / 1024)} KB`;

function byteSize(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
}

/** Hands records to the queue; a refusal because the backlog is full says when to come back. */
async function submit(deps: CollectorDeps, reply: FastifyReply, records: readonly QueuedRecord[], acknowledge: Acknowledge): Promise<WriteResult> {
  return refusing(deps, reply, () => deps.queue.submit(records, acknowledge));
}

/** Runs `fn`; a 429 it throws carries the Retry-After header. */
async function refusing<T>(deps: CollectorDeps, reply: FastifyReply, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AppError && e.code === 'rate_limited') void reply.header('retry-after', String(deps.queue.retryAfterSeconds()));
    throw e;
  }
}

/** Maps Segment messages, queues their records, and builds the answer once they are durable. */
async function collect(deps: CollectorDeps, reply: FastifyReply, messages: readonly unknown[], expected: SegmentType | null) {
  // A full backlog refuses the batch before any work on it (each message maps to one record at
  // most): under overload, refused batches were costing the main thread as much as taken ones.
  await refusing(deps, reply, () => deps.queue.assertRoom(messages.length));
  const receivedAt = deps.now();
  const errors: MessageError[] = [];
  const records: QueuedRecord[] = [];
  const ids: (string | null)[] = [];
  messages.forEach((m, index) => {
    // Before anything serialises or maps it: a message nested thousands of levels deep would
    // overflow the stack, and mapping would turn a `__proto__` key into a prototype unseen.
    const problem = m !== null && typeof m === 'object' && !Array.isArray(m) ? contentProblem(m as Record<string, unknown>) : 'a message must be a JSON object';
    if (problem !== null) {
      const given = (m as { messageId?: unknown }).messageId;
      const messageId = typeof given === 'string' ? given : null;
      ids.push(messageId);
      return errors.push({ index, messageId, reason: problem });
    }
    const size = byteSize(m);
    const mapped = mapSegmentMessage(m, expected, receivedAt);
    ids.push(mapped.messageId);
    if (size > deps.limits.eventBytes) return errors.push({ index, messageId: mapped.messageId, reason: tooBig(size, deps.limits.eventBytes) });
    if (!mapped.ok) return errors.push({ index, messageId: mapped.messageId, reason: mapped.reason });
    for (const r of mapped.records) records.push({ kind: r.kind, fields: r.fields, line: index + 1 });
  });
  const result = await submit(deps, reply, records, 'journal');
  const failed = new Set(errors.map((e) => e.index));
  for (const e of result.errors) {
    const index = e.line - 1;
    if (failed.has(index)) continue;
    failed.add(index);
    errors.push({ index, messageId: ids[index] ?? null, reason: e.reason });
  }
  errors.sort((a, b) => a.index - b.index);
  return { success: true, received: messages.length, accepted: messages.length - failed.size, rejected: failed.size, errors };
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      throw new AppError('input', 'the body is not valid JSON');
    }
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new AppError('input', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

/**
 * The paths Segment's libraries post to: the server libraries use the long names, analytics.js
 * in a browser the first letter (`/v1/t`, `/v1/b`, ...).
 */
const SHORT_PATHS: Readonly<Record<SegmentType | 'batch', string>> = { batch: 'b', track: 't', identify: 'i', alias: 'a', page: 'p', screen: 's', group: 'g' };

/**
 * analytics.js sends its JSON as `text/plain` (a "simple" content type); it is read as the JSON
 * it is, by the same parser (and limits) as `application/json`. Fastify picks the parser after
 * the preParsing hooks, from this header.
 */
async function textAsJson(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  if (type !== undefined && /^\s*text\/plain\s*(;|$)/i.test(type)) request.headers['content-type'] = 'application/json';
}

export function registerCollector(app: FastifyInstance, deps: CollectorDeps): void {
  const segmentConfig = { access: ['collector'] as const, bodyWriteKey: true, cors: true };
  // A caller whose key came in a header (auth.ts, onRequest) is refused while the backlog is
  // full before its body is even parsed: under overload, parsing the bodies of batches that are
  // then refused took a sixth of the main thread. A key in the body needs the body first.
  const refuseEarly = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.principal !== null) await refusing(deps, reply, () => deps.queue.assertRoom(1));
  };
  const preParsing = [refuseEarly, textAsJson];
  const batchSchema = {
    tags: ['collector'],
    summary: 'Segment batch: many track, identify, alias, page, screen and group calls',
    description: `Segment's HTTP tracking API. The write key is the HTTP Basic user (or a Bearer key, or writeKey in the body). The body is JSON, sent as application/json or text/plain (analytics.js), optionally gzip-compressed (Content-Encoding: gzip). Answers 200 once every valid message is durable in the server's journal; it is in analyses and customer contexts after the next merge, normally within a second (docs/collector.md). Per-message problems are in errors; 429 with Retry-After while the merge backlog is full. Limits: ${Math.round(deps.limits.eventBytes / 1024)} KB per event, ${Math.round(deps.limits.batchBytes / 1024)} KB per batch. analytics.js posts to the same endpoints by their first letter (/v1/b, /v1/t, ...), from the origins the server allows (serve --cors-origin).`,
    response: { 200: SEGMENT_ANSWER, 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 413: ERROR_SCHEMA, 429: ERROR_SCHEMA },
  };
  const preflightOptions = { config: { access: 'public' as const, cors: true }, schema: { hide: true } };
  for (const path of ['/v1/batch', '/v1/import', `/v1/${SHORT_PATHS.batch}`]) {
    app.options(path, preflightOptions, preflight);
    app.post(path, { config: segmentConfig, preParsing, bodyLimit: deps.limits.batchBytes, schema: { ...batchSchema, ...(path !== '/v1/batch' ? { hide: true } : {}) } }, async (request, reply) => {
      const body = asObject(request.body);
      if (!Array.isArray(body.batch)) throw new AppError('input', 'a batch needs a "batch" array of messages', { hint: 'send {"batch": [{"type": "track", ...}]}' });
      return collect(deps, reply, body.batch.map((m) => withEnvelope(m, body)), null);
    });
  }
  for (const type of SEGMENT_TYPES) {
    for (const path of [`/v1/${type}`, `/v1/${SHORT_PATHS[type]}`]) {
      app.options(path, preflightOptions, preflight);
      app.post(
        path,
        {
          config: segmentConfig,
          preParsing,
          bodyLimit: deps.limits.eventBytes,
          schema: {
            tags: ['collector'],
            summary: `Segment ${type}`,
            description: type === 'group' ? 'Accepted and not stored: an account group is not a customer.' : `Segment's ${type} call; see the batch endpoint.`,
            response: { 200: SEGMENT_ANSWER, 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 413: ERROR_SCHEMA, 429: ERROR_SCHEMA },
            ...(path !== `/v1/${type}` ? { hide: true } : {}),
          },
        },
        async (request, reply) => {
          const answer = await collect(deps, reply, [asObject(request.body)], type);
          const e = answer.errors[0];
          if (e !== undefined) throw new AppError('input', e.reason);
          return answer;
        },
      );
    }
  }

  app.post(
    '/api/v1/events',
    {
      config: { access: ['collector'] },
      bodyLimit: deps.limits.batchBytes,
      schema: {
        tags: ['collector'],
        summary: 'Records in the data contract (spec/DATA.md)',
        description:
          'A JSON array of records, one record, or NDJSON (application/x-ndjson). `kind` names what they are; without it each record\'s kind is told from its fields, as the importer does. Validation is the importer\'s; the answer lists each rejected record by its line (NDJSON) or 1-based position (array). Answers 200 once every valid record is merged, so a read that follows sees it (the Segment endpoints answer earlier, once records are in the journal).',
        querystring: { type: 'object', properties: { kind: { type: 'string', enum: [...KINDS] } }, additionalProperties: false },
        response: {
          200: {
            type: 'object',
            properties: {
              received: { type: 'integer' },
              accepted: { type: 'integer' },
              rejected: { type: 'integer' },
              errors: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, reason: { type: 'string' } } } },
            },
          },
          400: ERROR_SCHEMA,
          401: ERROR_SCHEMA,
          403: ERROR_SCHEMA,
          413: ERROR_SCHEMA,
          429: ERROR_SCHEMA,
        },
      },
    },
    async (request, reply) => {
      const kind = (request.query as { kind?: Kind }).kind;
      const items = contractItems(request.body);
      const errors: { line: number; reason: string }[] = [];
      const records: QueuedRecord[] = [];
      for (const item of items) {
        if ('reason' in item) {
          errors.push({ line: item.line, reason: item.reason });
          continue;
        }
        const problem = contentProblem(item.fields);
        if (problem !== null) {
          errors.push({ line: item.line, reason: problem });
          continue;
        }
        const size = byteSize(item.fields);
        if (size > deps.limits.eventBytes) {
          errors.push({ line: item.line, reason: `the record is ${Math.ceil(size / 1024)} KB; the limit per record is ${Math.round(deps.limits.eventBytes / 1024)} KB` });
          continue;
        }
        const k = kind ?? detectKind(Object.keys(item.fields));
        if (k === null) {
          errors.push({ line: item.line, reason: `cannot tell the kind of record from its fields (${Object.keys(item.fields).slice(0, 8).join(', ')}); pass ?kind=` });
          continue;
        }
        records.push({ kind: k, fields: item.fields, line: item.line });
      }
      const result = await submit(deps, reply, records, 'merge');
      errors.push(...result.errors);
      errors.sort((a, b) => a.line - b.line);
      return { received: items.length, accepted: result.accepted, rejected: errors.length, errors };
    },
  );
}

type Item = { line: number; fields: Record<string, unknown> } | { line: number; reason: string };

/** The records of a contract body: a JSON array, one object, or NDJSON text (blank lines skipped). */
function contractItems(body: unknown): Item[] {
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (typeof body === 'string') {
    const trimmed = body.trim();
    // A JSON array sent as text is still an array.
    if (trimmed.startsWith('[')) {
      try {
        return contractItems(JSON.parse(trimmed));
      } catch {
        throw new AppError('input', 'the body starts like a JSON array but is not valid JSON');
      }
    }
    const out: Item[] = [];
    body.split('\n').forEach((text, i) => {
      if (text.trim() === '') return;
      try {
        const v: unknown = JSON.parse(text);
        out.push(isRecord(v) ? { line: i + 1, fields: v } : { line: i + 1, reason: 'the line is not a JSON object' });
      } catch {
        out.push({ line: i + 1, reason: 'the line is not valid JSON' });
      }
    });
    return out;
  }
  if (Array.isArray(body)) return body.map((v, i) => (isRecord(v) ? { line: i + 1, fields: v } : { line: i + 1, reason: 'the record is not a JSON object' }));
  if (isRecord(body)) return [{ line: 1, fields: body }];
  throw new AppError('input', 'send a JSON array of records, one record, or NDJSON');
}
