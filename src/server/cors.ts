/**
 * CORS for the routes a web page may call from another origin: Segment's browser library
 * (analytics.js) posts events from the customer's site to the collector after a preflight.
 * Only the origins the operator lists (`serve --cors-origin`) get an `Access-Control-Allow-Origin`
 * answer; any other origin gets no CORS header at all, so its browser refuses to send. The key is
 * still needed: CORS only decides whether a browser may ask, never whether a request is allowed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A browser on an allowed origin may call the route (and its OPTIONS preflight is answered). */
    cors?: boolean;
  }
}

/**
 * An origin as a browser sends it (`https://shop.example.com`, `http://127.0.0.1:8080`): scheme,
 * host and port only, lower case, no default port, no path.
 */
export function parseOrigin(text: string): string {
  const given = text.trim();
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new AppError('usage', `--cors-origin "${text}" is not an origin`, { hint: 'give a scheme and host, e.g. --cors-origin https://shop.example.com' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('usage', `--cors-origin "${text}" must start with http:// or https://`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || given.endsWith('/')) {
    throw new AppError('usage', `--cors-origin "${text}" has more than an origin`, { hint: `give the scheme, host and port only: ${url.origin}` });
  }
  return url.origin;
}

export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins);
  // The CORS headers go on every answer of a cors route, errors included (set before the key is
  // checked): a page's library can then read a 401 or a 429 and its Retry-After.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.cors !== true) return;
    void reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return;
    void reply.header('access-control-allow-origin', origin);
    void reply.header('access-control-expose-headers', 'Retry-After');
  });
}

/** Answers a CORS preflight for a cors route. */
export async function preflight(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const origin = request.headers.origin;
  // Not from a browser: say what the path takes.
  if (origin === undefined) return void reply.code(204).header('allow', 'OPTIONS, POST').send();
  if (!reply.hasHeader('access-control-allow-origin')) {
    throw new AppError('forbidden', `origin ${origin} may not send events from a browser`, { hint: `start the server with --cors-origin ${origin} to allow it` });
  }
  // Whatever headers the page's library asks to send are allowed (analytics.js: Authorization,
  // and headers a site adds through its settings): the server reads only those it knows.
  const asked = request.headers['access-control-request-headers'];
  void reply
    .code(204)
    .header('access-control-allow-methods', 'POST')
    .header('access-control-allow-headers', typeof asked === 'string' && asked !== '' ? asked : 'Authorization, Content-Type, Content-Encoding')
    .header('access-control-max-age', '600')
    .send();
}
