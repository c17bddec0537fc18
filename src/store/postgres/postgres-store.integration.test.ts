/**
 * The store conformance suite against a real PostgreSQL server. Each run gets a database of its
 * own. Where no server answers (a laptop without PostgreSQL), the suite skips itself and says so.
 */
import { after, test } from 'node:test';
import { runStoreSuite } from '../../../test/store/store-suite.ts';
import { openStore } from '../open.ts';
import { createTestDatabase, dropTestDatabase, NO_POSTGRES } from './postgres-testing.ts';

const url = await createTestDatabase('tl_suite');
if (url === null) {
  test('PostgreSQL store suite', (t) => t.skip(`${NO_POSTGRES}: the PostgreSQL suite is skipped`));
} else {
  runStoreSuite('PostgreSQL', () => openStore(url));
  after(() => dropTestDatabase(url));
}
