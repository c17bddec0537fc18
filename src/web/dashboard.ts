/**
 * Serves the built dashboard (web/dist) from the API server: hashed files under /assets/ with
 * a year of immutable caching, index.html (never cached, so a new build is picked up) for `/`
 * and every client route, and a page saying how to build when web/dist is missing. Paths of the
 * API, the collector and survey links are never answered with the app: they go to the server's
 * JSON 404, so a mistyped API call does not come back as HTML.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface DashboardOptions {
  /** The folder `vite build` writes (web/dist). */
  readonly distDir: string;
}

/** Where the built dashboard is, relative to this file: web/dist at the repository root. */
export const DEFAULT_DIST_DIR = path.resolve(import.meta.dirname, '..', '..', 'web', 'dist');

/** Prefixes that belong to the server, not to the dashboard's client routes. */
const SERVER_PATHS = /^\/(api|v1|s|healthz)(\/|$)/;

/**
 * The app's files run only their own code: no inline scripts, data from this origin only.
 * Inline styles are allowed because ECharts draws SVG with style attributes.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Throughline: dashboard not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1c2433}code,pre{background:#eef0f4;border-radius:4px;padding:2px 5px}pre{padding:10px}</style></head>
<body><h1>The dashboard is not built yet</h1>
<p>The API is running (see <a href="/api/docs">/api/docs</a>), but the web app has not been built in this copy of Throughline.</p>
<p>Build it once, then reload this page (no restart needed):</p>
<pre>npm run build:web</pre>
<p>Or, while working on the dashboard, run <code>npm run dev:web</code> for a development server that talks to this one.</p>
</body></html>`;

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
}

/** Registers the dashboard routes on `app`, in their own scope so the file-sending decorator stays private. */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const root = path.resolve(options.distDir);
  const index = path.join(root, 'index.html');

  await app.register(async (scope) => {
    await scope.register(fastifyStatic, { root, serve: false, decorateReply: true, suppressWarning: true });

    // Anything a build names by content hash never changes, so browsers may keep it for good.
    scope.get('/assets/*', { config: { access: 'public' }, schema: { hide: true } }, (request, reply) => {
      const file = (request.params as { '*': string })['*'];
      return securityHeaders(reply).sendFile(path.posix.join('assets', file), { maxAge: '365d', immutable: true });
    });

    const page = (request: FastifyRequest, reply: FastifyReply): void => {
      const url = request.url.split('?')[0]!;
      if (SERVER_PATHS.test(url)) return reply.callNotFound();
      securityHeaders(reply).header('cache-control', 'no-cache');
      if (!fs.existsSync(index)) {
        void reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
        return;
      }
      // A file at the top of dist (favicon, robots.txt) is itself; any other path is a client route.
      const top = url.slice(1);
      if (top !== '' && !top.includes('/') && /\.[a-z0-9]+$/i.test(top) && fs.existsSync(path.join(root, top))) {
        void reply.sendFile(top, { cacheControl: false });
        return;
      }
      void reply.header('content-security-policy', CSP).type('text/html; charset=utf-8').sendFile('index.html', { cacheControl: false });
    };
    scope.get('/', { config: { access: 'public' }, schema: { hide: true } }, page);
    scope.get('/*', { config: { access: 'public' }, schema: { hide: true } }, page);
  });
}
