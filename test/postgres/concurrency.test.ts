/**
 * The point of the shared store: several processes write one PostgreSQL database at once. Two
 * `throughline serve` processes take Segment batches (some re-sent to the other server, as a
 * client retrying against a load balancer would), a CLI import loads a file, and this process
 * answers surveys and reads the cases inbox and comments through both servers, all at the same
 * time. Afterwards every acknowledged message is stored exactly once, every event of the file is
 * there, each record has its own place in the input order, and no process logged an error.
 * Skips itself, and says so, where no PostgreSQL answers.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateInteractions } from '../../bench/interactions-data.ts';
import { writeDemo } from '../../src/demo/index.ts';
import { answerSurveyLink, createSurveyLink, saveSurvey } from '../../src/feedback/index.ts';
import { createTestSurvey } from '../../src/feedback/test-fixture.ts';
import { openStore } from '../../src/store/open.ts';
import { createTestDatabase, dropTestDatabase, NO_POSTGRES } from '../../src/store/postgres/postgres-testing.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../support/fixtures.ts';
import { run, serve } from '../support/served.ts';
import type { Served } from '../support/served.ts';

/** Segment messages posted in all, in batches, half to each server. */
const MESSAGES = 3000;
const BATCH = 25;
/** Requests in flight per server at any time. */
const IN_FLIGHT = 3;
/** Rows of the file the CLI imports while the servers take the load. */
const FILE_ROWS = 20_000;
const SURVEY_ANSWERS = 24;

const url = await createTestDatabase('tl_concurrency');

/** A CLI command in its own process, run beside the servers (not to its end before they go on). */
async function cli(args: readonly string[]): Promise<{ code: number | string | null; stdout: string; stderr: string }> {
  const r = run(args);
  const code = await r.exit;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** The n-th Segment message: tracks of customers the file also brings, and of anonymous visitors who later identify. */
function message(n: number): Record<string, unknown> {
  const base = { messageId: `m-${n}`, timestamp: new Date(Date.UTC(2026, 2, 1) + n * 7_000).toISOString() };
  const customer = `C${1_000_000 + (n % 400)}`;
  if (n % 10 === 9) return { ...base, type: 'identify', userId: customer, anonymousId: `anon-${n % 97}`, traits: { email: `u${n % 400}@example.com` } };
  if (n % 3 === 0) return { ...base, type: 'track', anonymousId: `anon-${n % 97}`, event: 'pay_bill/view_bill', properties: { outcome: 'success' } };
  return { ...base, type: 'track', userId: customer, event: n % 7 === 0 ? 'pay_bill/submit_payment' : 'check_usage/view_usage', properties: { outcome: n % 7 === 0 ? 'failure' : 'success' } };
}

interface BatchAnswer {
  accepted: number;
  rejected: number;
  errors: { index: number; messageId: string | null; reason: string }[];
}

if (url === null) {
  test('two servers and a CLI import share one PostgreSQL database', (t) => t.skip(`${NO_POSTGRES}: the concurrency check is skipped`));
} else {
  describe('two servers and a CLI import share one PostgreSQL database', () => {
    const dir = tempDir('throughline-concurrency-');
    const acknowledged = new Set<string>();
    const refused: string[] = [];
    const readErrors: string[] = [];
    let fileEvents: string[] = [];
    let importRun: { code: number | string | null; stdout: string; stderr: string };
    let servers: Served[] = [];
    let serverExits: (number | string | null)[] = [];
    let answered = 0;
    let store: Store;

    before(async () => {
      // A first load, so that surveys have customers to ask and the servers have journeys to extend.
      const demo = await writeDemo(path.join(dir, 'demo'), { customers: 150, days: 30, seed: 5, end: new Date('2026-03-01T00:00:00Z') });
      const keys: Record<string, string> = {};
      for (const role of ['admin', 'collector', 'analyst']) {
        const k = await cli(['--db', url, 'keys', 'create', '--role', role, '--json']);
        assert.equal(k.code, 0, k.stderr);
        keys[role] = (JSON.parse(k.stdout) as { key: string }).key;
      }
      const first = await cli(['--db', url, 'import', ...Object.values(demo.files).map((f) => f.path), '--json']);
      assert.ok(first.code === 0 || first.code === 3, first.stderr);
      const file = await generateInteractions({ rows: FILE_ROWS, seed: 77, dir });
      fileEvents = [...new Set(fs.readFileSync(file.path, 'utf8').split('\n').slice(1, -1).map((l) => l.slice(0, l.indexOf(','))))];

      store = await openStore(url);
      await store.transaction((tx) => saveSurvey(tx, createTestSurvey({ id: 'load_nps', staff: [] }), Date.now()));
      const customers = (await store.query(`SELECT DISTINCT customer_key FROM id_tuples WHERE customer_id IS NOT NULL ORDER BY customer_key LIMIT ${SURVEY_ANSWERS}`)).map((r) =>
        String(r.customer_key),
      );

      servers = await Promise.all([serve(url), serve(url)]);
      const collector = `Basic ${Buffer.from(`${keys.collector}:`).toString('base64')}`;

      const post = async (server: string, batch: number[]): Promise<void> => {
        const r = await fetch(`${server}/v1/batch`, {
          method: 'POST',
          headers: { authorization: collector, 'content-type': 'application/json' },
          body: JSON.stringify({ batch: batch.map(message) }),
        });
        if (r.status !== 200) {
          refused.push(`${server} ${r.status} ${await r.text()}`);
          return;
        }
        const answer = (await r.json()) as BatchAnswer;
        const failed = new Set(answer.errors.map((e) => e.index));
        batch.forEach((n, i) => (failed.has(i) ? refused.push(`m-${n}: ${answer.errors.find((e) => e.index === i)?.reason}`) : acknowledged.add(`m-${n}`)));
      };
      // Every tenth batch goes to both servers at once: the same message ids race each other.
      const batches: number[][] = [];
      for (let n = 0; n < MESSAGES; n += BATCH) batches.push(Array.from({ length: Math.min(BATCH, MESSAGES - n) }, (_, i) => n + i));
      const queues = servers.map((s, k) => ({ url: s.url, batches: batches.filter((_, b) => b % 2 === k || b % 10 === 0) }));
      const load = queues.flatMap((q) =>
        Array.from({ length: IN_FLIGHT }, async (_, lane) => {
          for (let b = lane; b < q.batches.length; b += IN_FLIGHT) await post(q.url, q.batches[b]!);
        }),
      );
      // Reading while writing: the cases inbox opens promise cases on read, comments analyse on read.
      const reads = servers.map(async (s) => {
        for (let i = 0; i < 6; i++) {
          for (const p of ['cases', 'feedback/comments?limit=5', 'journeys']) {
            const r = await fetch(`${s.url}/api/v1/${p}`, { headers: { authorization: `Bearer ${keys.analyst}` } });
            if (r.status !== 200) readErrors.push(`${s.url} ${p}: ${r.status} ${await r.text()}`);
          }
        }
      });
      const surveys = (async () => {
        for (const customerKey of customers) {
          const link = await createSurveyLink(store, { surveyId: 'load_nps', customerKey, ignoreContactRules: true });
          await answerSurveyLink(store, { token: link.token, sessionId: null, text: String(answered % 11) });
          answered++;
        }
      })();
      importRun = await Promise.all([cli(['--db', url, 'import', file.path, '--json']), ...load, ...reads, surveys]).then(([r]) => r);

      for (const s of servers) s.child.kill('SIGTERM');
      serverExits = await Promise.all(servers.map((s) => s.exit));
    });

    after(async () => {
      for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
      await store?.close();
      await dropTestDatabase(url);
    });

    test('every message was acknowledged and every read answered', () => {
      assert.deepEqual(refused, []);
      assert.deepEqual(readErrors, []);
      assert.equal(acknowledged.size, MESSAGES);
      assert.equal(answered, SURVEY_ANSWERS);
    });

    test('every acknowledged message is stored exactly once', async () => {
      const rows = await store.query(`SELECT event_id, count(*) AS n FROM interactions WHERE event_id LIKE 'm-%' GROUP BY event_id`);
      const tracks = [...acknowledged].filter((id) => Number(id.slice(2)) % 10 !== 9);
      assert.equal(rows.length, tracks.length, 'every track message is an interaction');
      assert.deepEqual(rows.filter((r) => r.n !== 1), [], 'none twice');
      const stored = new Set(rows.map((r) => String(r.event_id)));
      assert.deepEqual(tracks.filter((id) => !stored.has(id)), []);
    });

    test("the CLI import succeeded and every one of the file's events is stored", async () => {
      assert.equal(importRun.code, 0, importRun.stderr);
      const [row] = await store.query(`SELECT count(*) AS n FROM interactions WHERE event_id LIKE 'e-%'`);
      assert.equal(row!.n, fileEvents.length);
    });

    test('no process logged an error', () => {
      const problems = [importRun.stderr, ...servers.map((s) => s.stderr())].flatMap((text) => text.split('\n').filter((l) => /error|fail|warn|exception/i.test(l)));
      assert.deepEqual(problems, []);
      assert.deepEqual(serverExits, [0, 0]);
    });

    test('every journey and survey answer is complete', async () => {
      const [orphans] = await store.query(`SELECT count(*) AS n FROM interactions WHERE direction = 'inbound' AND customer_key IS NOT NULL AND journey_id IS NULL`);
      assert.equal(orphans!.n, 0, 'every inbound event belongs to a journey');
      const [missing] = await store.query(`SELECT count(*) AS n FROM interactions i WHERE i.journey_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM journeys j WHERE j.journey_id = i.journey_id)`);
      assert.equal(missing!.n, 0, 'every journey an event names exists');
      const [answers] = await store.query(`SELECT count(*) AS n FROM feedback WHERE survey_id = 'load_nps'`);
      assert.equal(answers!.n, SURVEY_ANSWERS);
    });

    // A file import numbers its records as it stages them, before it takes the write lock; its
    // merge re-reads next_seq under the lock and shifts them past what other processes merged
    // meanwhile (shiftStaged in src/ingest/import.ts). Without that, records would share places.
    test('each record has its own place in the input order', async () => {
      const [dup] = await store.query(`SELECT count(*) AS n FROM (
          SELECT seq FROM (SELECT seq FROM interactions UNION ALL SELECT seq FROM feedback UNION ALL SELECT seq FROM profiles
            UNION ALL SELECT seq FROM holdings UNION ALL SELECT seq FROM promises UNION ALL SELECT seq FROM consents) a
          GROUP BY seq HAVING count(*) > 1) d`);
      assert.equal(dup!.n, 0, 'no two records share a sequence number');
      const [next] = await store.query(`SELECT CAST(value AS BIGINT) AS v FROM settings WHERE key = 'next_seq'`);
      const [max] = await store.query(`SELECT max(seq) AS m FROM (SELECT seq FROM interactions UNION ALL SELECT seq FROM feedback UNION ALL SELECT seq FROM profiles) a`);
      assert.ok(Number(next!.v) > Number(max!.m), `next_seq ${next!.v} is past the largest seq ${max!.m}`);
    });
  });
}
