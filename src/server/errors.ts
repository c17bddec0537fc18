/**
 * The one place errors become HTTP answers: `{error: {code, message}}` with the status of the
 * AppError code (core/errors.ts). Framework errors (validation, body size, bad JSON) get the same
 * shape. Anything else is a bug: it is logged with its stack and answered 500 with a generic
 * message, so no stack trace or SQL ever reaches a client.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusFor, isAppError } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** The shared OpenAPI description of an error answer. */
export const ERROR_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  required: ['error'],
} as const;

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
  /** The schema of the value that failed (Ajv's `verbose` option). */
  parentSchema?: { type?: unknown; minimum?: number; maximum?: number; exclusiveMinimum?: number };
}

const NUMERIC_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'type', 'multipleOf']);

/** "an integer from 1 to 3650" for a numeric schema with bounds, or null. */
function numericRange(schema: AjvError['parentSchema']): string | null {
  if (schema === undefined || (schema.type !== 'integer' && schema.type !== 'number')) return null;
  const what = schema.type === 'integer' ? 'an integer' : 'a number';
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? `more than ${schema.exclusiveMinimum}` : undefined);
  if (low !== undefined && schema.maximum !== undefined) return typeof low === 'number' ? `${what} from ${low} to ${schema.maximum}` : `${what} ${low}, at most ${schema.maximum}`;
  if (low !== undefined) return typeof low === 'number' ? `${what} of at least ${low}` : `${what} ${low}`;
  if (schema.maximum !== undefined) return `${what} of at most ${schema.maximum}`;
  return what;
}

function validationMessage(context: string | undefined, errors: readonly AjvError[]): string {
  const where = context === 'querystring' ? 'query parameter' : context === 'params' ? 'path parameter' : 'field';
  const parts = errors.slice(0, 3).map((e) => {
    const path = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (e.keyword === 'additionalProperties') {
      const extra = String(e.params?.additionalProperty ?? '');
      return `unknown ${where} "${path === '' ? extra : `${path}.${extra}`}"`;
    }
    if (e.keyword === 'required') return `missing ${where} "${path === '' ? String(e.params?.missingProperty ?? '') : `${path}.${String(e.params?.missingProperty ?? '')}`}"`;
    const range = e.keyword !== undefined && NUMERIC_KEYWORDS.has(e.keyword) ? numericRange(e.parentSchema) : null;
    if (range !== null) return `${where} "${path}" must be ${range}`;
    if (e.keyword === 'enum') return `${where} "${path}" must be one of ${((e.params?.allowedValues as unknown[]) ?? []).join(', ')}`;
    return `${path === '' ? (context ?? 'request') : `${where} "${path}"`} ${e.message ?? 'is not valid'}`;
  });
  return parts.join('; ');
}

function kb(bytes: number): string {
  return `${Math.round(bytes / 1024)} KB`;
}

/** Status, code and message for any thrown value. */
export function describeError(err: unknown, request: FastifyRequest): { status: number; code: ErrorCode; message: string; internal: boolean } {
  if (isAppError(err)) {
    const status = httpStatusFor(err.code);
    if (status >= 500 && err.code !== 'unavailable') return { status: 500, code: 'internal', message: 'internal error; the server log has the details', internal: true };
    return { status, code: err.code, message: `${err.message}${err.hint ? ` (${err.hint})` : ''}`, internal: false };
  }
  const fe = err as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) return { status: 400, code: 'usage', message: validationMessage(fe.validationContext, fe.validation), internal: false };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request.routeOptions.bodyLimit ?? 0;
      return {
        status: 413,
        code: 'too_large',
        message: `the request body is larger than ${kb(limit)}, the limit for ${request.method} ${request.routeOptions.url ?? request.url}; send smaller batches (Segment's limits: 32 KB per event, 500 KB per batch)`,
        internal: false,
      };
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 400, code: 'input', message: `content type ${String(request.headers['content-type'] ?? '(none)')} is not accepted; send application/json`, internal: false };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'input', message: 'the body is empty; send a JSON document', internal: false };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'input', message: 'the body is not valid JSON', internal: false };
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) return { status: 400, code: 'input', message: 'the body is not valid JSON', internal: false };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Other client errors Fastify raises (a bad header, an aborted upload): say what, not where.
    const code: ErrorCode = fe.statusCode === 413 ? 'too_large' : fe.statusCode === 404 ? 'not_found' : 'input';
    return { status: code === 'too_large' ? 413 : code === 'not_found' ? 404 : 400, code, message: fe.message?.split('\n')[0] ?? 'bad request', internal: false };
  }
  return { status: 500, code: 'internal', message: 'internal error; the server log has the details', internal: true };
}

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const d = describeError(err, request);
    if (d.internal) {
      const ref = request.id;
      logger.warn(`${request.method} ${request.url} failed (request ${ref}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    void reply.code(d.status).send(errorBody(d.code, d.message));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('not_found', `no endpoint ${request.method} ${request.url.split('?')[0]}; see /api/docs`));
  });
}

/**
 * Fastify's `frameworkErrors`: errors raised before routing, such as a URL that does not decode
 * (`%E0%A4%A`), answered in the same `{error: {code, message}}` shape as every other error.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const badUrl = error.code === 'FST_ERR_BAD_URL';
  void reply.code(400).send(errorBody('input', badUrl ? 'the URL is not valid: a %-escape in it does not decode; percent-encode it as UTF-8' : (error.message.split('\n')[0] ?? 'bad request')));
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any request exists
 * (headers over Node's 16 KB limit: 431; a malformed request line or header: 400), written to
 * the socket in the same error shape.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify(
    tooLarge
      ? errorBody('too_large', "the request's headers are larger than the server takes (16 KB); send fewer or shorter headers")
      : errorBody('input', 'the request is not valid HTTP'),
  );
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
