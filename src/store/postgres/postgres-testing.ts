/**
 * Throwaway databases on a local PostgreSQL server for tests and benchmarks (test code only):
 * each test file gets a database of its own, so files run in parallel without seeing each
 * other's rows, and drops it afterwards so a developer's server does not fill up with them.
 */
import pg from 'pg';

export const PG_ADMIN_URL = process.env.THROUGHLINE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The message a suite skips with when no server answers. */
export const NO_POSTGRES = `no PostgreSQL at ${PG_ADMIN_URL} (set THROUGHLINE_TEST_PG to use another server)`;

export interface TestDatabaseOptions {
  /**
   * An ICU locale for the database's default collation (e.g. `en-US`), as most managed servers
   * have, instead of the server's default (often `C`): text then sorts by language rules, not by
   * bytes, which is what exposes an ORDER BY or min() over text that depends on collation.
   */
  readonly icuLocale?: string;
}

/** Whether a server answers at PG_ADMIN_URL (within 3 s), so a suite can say it skips before it starts. */
export async function postgresAvailable(): Promise<boolean> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    return true;
  } catch {
    return false;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** Databases made by this process: a suite may ask for two in the same millisecond. */
let made = 0;

/** Creates an empty database and returns its URL, or null when no server answers. */
export async function createTestDatabase(prefix: string, options: TestDatabaseOptions = {}): Promise<string | null> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  try {
    const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${++made}`;
    const icu = options.icuLocale;
    if (icu !== undefined && !/^[\w-]+$/.test(icu)) throw new Error(`not an ICU locale: ${icu}`);
    await admin.query(icu === undefined ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${icu}'`);
    return testDatabaseUrl(name);
  } finally {
    await admin.end();
  }
}

/** The URL of database `name` on the server at PG_ADMIN_URL. */
export function testDatabaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database made by createTestDatabase, disconnecting whoever still holds it. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^\w+$/.test(name)) throw new Error(`not a test database name: ${name}`);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await admin.connect();
  try {
    // WITH (FORCE) (PostgreSQL 13+) ends the sessions a killed child process may have left.
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
