/**
 * The tables of the insight module (migration 5 in store/migrations): which closed-loop case each
 * broken promise opened, so that a promise opens its case once however often the sync runs.
 */
import type { Dialect } from '../store/store.ts';

export function insightStatements(dialect: Dialect): string[] {
  const out = [`CREATE TABLE promise_cases (promise_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, opened_at BIGINT NOT NULL)`];
  if (dialect === 'postgres') out.push(`CREATE INDEX promise_cases_case ON promise_cases (case_id)`);
  return out;
}
