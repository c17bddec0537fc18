/**
 * The closed-loop inbox as a reader sees it now. A promise becomes broken when time passes its
 * due date, not when data arrives, so before listing cases every promise broken by now gets its
 * case (src/insight/promises.ts). The CLI and the API both list cases through here.
 */
import { listCases } from '../feedback/cases.ts';
import type { CaseDoc, CaseFilter } from '../feedback/cases.ts';
import type { Queryable } from '../store/store.ts';
import { syncPromiseCases } from './promises.ts';

export async function currentCases(db: Queryable, options: CaseFilter): Promise<CaseDoc[]> {
  await syncPromiseCases(db, { now: options.now });
  return listCases(db, options);
}
