/**
 * The store conformance suite against a real PostgreSQL server. Each run gets a database of its
 * own. Where no server answers (a laptop without PostgreSQL), the suite skips itself and says so.
 */
import { test } from 'node:test';
import pg from 'pg';
import { runStoreSuite } from '../../../test/store/store-suite.ts';
import { openStore } from '../open.ts';

export const PG_ADMIN_URL = process.env.THROUGHLINE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Creates an empty database for one test file and returns its URL, or null when no server answers. */
export async function createTestDatabase(prefix: string): Promise<string | null> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  try {
    const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    return url.toString();
  } finally {
    await admin.end();
  }
}

const url = await createTestDatabase('tl_suite');
if (url === null) {
  test('PostgreSQL store suite', (t) => t.skip(`no PostgreSQL at ${PG_ADMIN_URL}: the PostgreSQL suite is skipped`));
} else {
  runStoreSuite('PostgreSQL', () => openStore(url));
}
