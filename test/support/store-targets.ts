/**
 * The stores an end-to-end suite runs against (issue #8): a DuckDB file always, and a database
 * of its own on the PostgreSQL server of postgres-testing.ts when one answers. A suite loops over
 * them rather than being copied per store:
 *
 * @example
 * ```ts
 * for (const target of storeTargets()) {
 *   describeOn(target, 'throughline on the command line', () => {
 *     let db = '';
 *     before(async () => (db = await target.freshLocation('cli')));
 *     test('...', () => { cli(['--db', db, 'journeys']); });
 *   });
 * }
 * ```
 *
 * Where no PostgreSQL answers, each PostgreSQL variant is reported as a skipped test saying why
 * (and counted among the skipped), never silently left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createTestDatabase, dropTestDatabase, NO_POSTGRES, postgresAvailable } from '../../src/store/postgres/postgres-testing.ts';
import type { Dialect } from '../../src/store/store.ts';
import { assertSameDocument } from './compare.ts';
import { tempDir } from './fixtures.ts';

export interface StoreTarget {
  /** As it appears in test names: `DuckDB` or `PostgreSQL`. */
  readonly name: string;
  readonly dialect: Dialect;
  /** Why this store cannot be tested on this machine, or null when it can. */
  readonly skip: string | null;
  /**
   * A location for a fresh, empty store (what `--db` takes): a DuckDB file in a new temp
   * folder, or the URL of a new PostgreSQL database; either is removed when the test file ends.
   */
  freshLocation(label: string): Promise<string>;
}

// Asked once per test file, at load, because node:test needs to know what it skips when the
// suites are declared, before any of them runs.
const pgUp = await postgresAvailable();
const madeDatabases: string[] = [];
const madeDirs: string[] = [];
// Registered at the top level, so it runs once every suite of the file is done.
after(async () => {
  for (const url of madeDatabases) await dropTestDatabase(url);
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const duckdb: StoreTarget = {
  name: 'DuckDB',
  dialect: 'duckdb',
  skip: null,
  freshLocation: async (label) => {
    const dir = tempDir(`throughline-${label}-`);
    madeDirs.push(dir);
    return path.join(dir, `${label}.duckdb`);
  },
};

const postgres: StoreTarget = {
  name: 'PostgreSQL',
  dialect: 'postgres',
  skip: pgUp ? null : `${NO_POSTGRES}: the PostgreSQL run of this suite is skipped`,
  freshLocation: async (label) => {
    // An ICU English default collation, as managed servers have, rather than this server's
    // default (often C): whatever sorts text in the database must not depend on it.
    const url = await createTestDatabase(`tl_e2e_${label.replace(/\W/g, '_').slice(0, 20)}`, { icuLocale: 'en-US' });
    if (url === null) throw new Error(NO_POSTGRES);
    madeDatabases.push(url);
    return url;
  },
};

/** DuckDB first: suites that compare documents keep DuckDB's answers to hold PostgreSQL's against. */
export function storeTargets(): readonly StoreTarget[] {
  return [duckdb, postgres];
}

/** `describe(\`${title} (${target.name})\`)`, or one skipped test saying why the store is not here. */
export function describeOn(target: StoreTarget, title: string, fn: () => void): void {
  const name = `${title} (${target.name})`;
  if (target.skip === null) describe(name, fn);
  // A skipped test rather than a skipped describe: node:test counts skipped tests in its
  // summary (and CI's closing line), but not skipped suites.
  else test(name, { skip: target.skip }, () => undefined);
}

/** One test per store, named \`${title} (${target.name})\`: where a store is absent, a skipped test saying why. */
export function testOnEachStore(title: string, fn: (target: StoreTarget) => Promise<void>): void {
  for (const target of storeTargets()) test(`${title} (${target.name})`, { skip: target.skip ?? false }, () => fn(target));
}

/**
 * Documents each store answered in a held-out suite, so that PostgreSQL's can be held against
 * DuckDB's: the same JSON, floats compared to 6 significant digits (compare.ts).
 */
export class StoreAnswers {
  private readonly byTarget = new Map<string, Map<string, unknown>>();

  /** Keeps `doc` as what `target` answered to `what`; returns it. */
  keep<T>(target: StoreTarget, what: string, doc: T): T {
    const docs = this.byTarget.get(target.name) ?? new Map<string, unknown>();
    this.byTarget.set(target.name, docs);
    docs.set(what, doc);
    return doc;
  }

  /** Asserts that every document `target` kept equals DuckDB's answer to the same question. */
  assertSameAsDuckDb(target: StoreTarget): void {
    const ours = this.byTarget.get(target.name) ?? new Map<string, unknown>();
    const duck = this.byTarget.get(duckdb.name);
    if (duck === undefined) throw new Error('DuckDB kept no answers to compare with (did its suite fail before it got to them?)');
    if (ours.size === 0) throw new Error(`${target.name} kept no answers to compare`);
    for (const [what, doc] of ours) {
      if (!duck.has(what)) throw new Error(`DuckDB has no answer to "${what}" to compare with`);
      assertSameDocument(duck.get(what), doc, what);
    }
  }
}

/** Runs `fn` once, however many suites ask: held-out demo worlds are generated once per file and shared by both stores. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => (p ??= fn());
}
