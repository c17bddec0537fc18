import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { registerDashboard } from './dashboard.ts';

/** A server with only the dashboard and a JSON 404, as the real server answers unknown paths. */
async function createTestApp(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: `no endpoint ${request.method} ${request.url}` } });
  });
  await registerDashboard(app, { distDir });
  return app;
}

describe('serving the dashboard', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-dist-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title><div id="root"></div>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'robots.txt'), 'User-agent: *');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the root and every client route answer the app, never cached', async () => {
    const app = await createTestApp(dir);
    for (const url of ['/', '/map?intent=pay_bill', '/cases/CS-1', '/customer/phone%3A555']) {
      const r = await app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 200, url);
      assert.match(r.headers['content-type'] as string, /^text\/html/);
      assert.match(r.body, /id="root"/);
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.match(r.headers['content-security-policy'] as string, /script-src 'self'/);
    }
  });

  test('hashed assets are cached for a year as immutable, and a missing one is a 404', async () => {
    const app = await createTestApp(dir);
    const r = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await app.inject({ method: 'GET', url: '/assets/nope.js' })).statusCode, 404);
  });

  test('a file at the top of the build is served as itself', async () => {
    const app = await createTestApp(dir);
    const r = await app.inject({ method: 'GET', url: '/robots.txt' });
    assert.equal(r.body, 'User-agent: *');
  });

  test('paths of the API, the collector and survey links get the JSON 404, not the app', async () => {
    const app = await createTestApp(dir);
    for (const url of ['/api/v1/nope', '/api', '/v1/track', '/s/abc', '/healthz/x']) {
      const r = await app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.json<{ error: { code: string } }>().error.code, 'not_found', url);
    }
  });

  test('without a build the page says how to make one', async () => {
    const app = await createTestApp(path.join(dir, 'missing'));
    const r = await app.inject({ method: 'GET', url: '/overview' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build:web/);
  });
});
