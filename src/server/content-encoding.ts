/**
 * Compressed request bodies: `Content-Encoding: gzip` (what Segment's server libraries and many
 * HTTP clients send) is inflated before the body is parsed. The route's body limit applies to
 * the inflated bytes and stops the inflation as soon as it is passed, so a small "zip bomb"
 * costs no more than a body of the limit's size.
 */
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';

/** The stream Fastify reads a body from; it compares `receivedEncodedLength` with Content-Length. */
type BodyStream = PassThrough & { receivedEncodedLength?: number };

function inflated(request: FastifyRequest, payload: Readable, encoding: string): BodyStream {
  const limit = request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 1024 * 1024;
  const inflate = encoding === 'deflate' ? zlib.createInflate() : zlib.createGunzip();
  const out: BodyStream = new PassThrough();
  // A body nobody reads (the request was refused before parsing) may still fail to inflate: its
  // error must not go unheard, which would end the process. Fastify's reader adds its own.
  out.on('error', () => undefined);
  let encoded = 0;
  let decoded = 0;
  const fail = (e: AppError): void => {
    payload.unpipe(inflate);
    inflate.destroy();
    out.destroy(e);
  };
  payload.on('data', (chunk: Buffer) => {
    encoded += chunk.length;
    out.receivedEncodedLength = encoded;
  });
  payload.on('error', (e) => out.destroy(e));
  inflate.on('data', (chunk: Buffer) => {
    decoded += chunk.length;
    if (decoded > limit) {
      return fail(
        new AppError('too_large', `the request body inflates past ${Math.round(limit / 1024)} KB, the limit for ${request.method} ${request.routeOptions.url ?? request.url}`, {
          hint: "send smaller batches (Segment's limits: 32 KB per event, 500 KB per batch, uncompressed)",
        }),
      );
    }
    out.write(chunk);
  });
  inflate.on('end', () => out.end());
  inflate.on('error', () => fail(new AppError('input', `the body is not valid ${encoding} data, though Content-Encoding says it is`)));
  payload.pipe(inflate);
  return out;
}

/** Inflates gzip and deflate request bodies for every route; refuses other encodings with 400. */
export function installContentEncoding(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const header = request.headers['content-encoding'];
    if (header === undefined) return payload;
    const encoding = header.trim().toLowerCase();
    if (encoding === '' || encoding === 'identity') return payload;
    if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') return inflated(request, payload, encoding === 'deflate' ? 'deflate' : 'gzip');
    throw new AppError('input', `Content-Encoding ${header} is not accepted`, { hint: 'send the body as it is, or compressed with gzip' });
  });
}
