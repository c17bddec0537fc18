/**
 * The import pipeline's hook into the closed loop: run inside the import's transaction, so an
 * import lands with its cases or not at all. Historical answers open cases too; a back-load that
 * must not (`import --no-cases`) passes `createCases: false`.
 */
import type { Queryable, SqlDialect } from '../store/store.ts';
import { openCasesForAnswers, rekeyCases } from './cases.ts';

/** Cases for the answers imported with seq in [seqFrom, seqTo); returns how many were opened. */
export async function casesAfterImport(
  tx: Queryable,
  sql: SqlDialect,
  seqFrom: number,
  seqTo: number,
  createCases: boolean,
  now: number = Date.now(),
): Promise<number> {
  // Cheap, and needed whatever the flag says: stitching may have moved answers to another customer.
  await rekeyCases(tx);
  if (!createCases) return 0;
  const result = await openCasesForAnswers(tx, { seqFrom, seqTo }, { now, source: 'import', sql });
  return result.opened.length;
}
