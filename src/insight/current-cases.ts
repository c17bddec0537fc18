/**
 * The closed-loop inbox as a reader sees it now. A promise becomes broken when time passes its
 * due date, not when data arrives, so before listing cases every promise broken by now gets its
 * case (src/insight/promises.ts). The CLI and the API both list cases through here.
 */
import { listCases } from '../feedback/cases.ts';
import type { CaseDoc, CaseFilter } from '../feedback/cases.ts';
import type { Queryable, Store } from '../store/store.ts';
import { promiseCasesPending, syncPromiseCases } from './promises.ts';

const isStore = (db: Queryable): db is Store => 'transaction' in db && 'openStaging' in db;

/**
 * Given a whole store, the cases are opened in a write transaction: readers of the inbox on two
 * servers (or two requests on one) would otherwise both see a promise without its case and
 * open it twice. Most reads find nothing to open and take no transaction at all.
 */
export async function currentCases(db: Queryable, options: CaseFilter): Promise<CaseDoc[]> {
  if (!isStore(db)) await syncPromiseCases(db, { now: options.now });
  else if (await promiseCasesPending(db, options.now)) await db.transaction((tx) => syncPromiseCases(tx, { now: options.now }));
  return listCases(db, options);
}
