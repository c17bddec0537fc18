/**
 * Survey definitions in the store: added (or replaced) whole, listed, read back. A definition's
 * staff list also feeds the staff directory that routes praise and owns cases.
 */
import { AppError } from '../core/errors.ts';
import type { Queryable } from '../store/store.ts';
import { validateSurvey } from './survey-definition.ts';
import type { SurveyDefinition } from './survey-definition.ts';

export interface SurveySummary {
  survey_id: string;
  name: string;
  type: string;
  questions: number;
  created_at: string;
  updated_at: string;
}

/** Stores a definition (validating it again: callers may hand any JSON value). Returns whether it replaced one. */
export async function saveSurvey(db: Queryable, input: unknown, now: number): Promise<{ survey: SurveyDefinition; replaced: boolean }> {
  const survey = validateSurvey(input);
  const [old] = await db.query(`SELECT created_at FROM surveys WHERE survey_id = $1`, [survey.id]);
  await db.exec(`DELETE FROM surveys WHERE survey_id = $1`, [survey.id]);
  await db.exec(`INSERT INTO surveys (survey_id, type, name, definition, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
    survey.id,
    survey.type,
    survey.name,
    JSON.stringify(survey),
    old === undefined ? now : Number(old.created_at),
    now,
  ]);
  // An imported directory (rows with a seq) outranks a survey's staff list, which fills the gaps.
  for (const s of survey.staff) {
    const [imported] = await db.query(`SELECT 1 AS x FROM staff WHERE staff_id = $1 AND seq IS NOT NULL`, [s.id]);
    if (imported !== undefined) continue;
    await db.exec(`DELETE FROM staff WHERE staff_id = $1`, [s.id]);
    await db.exec(`INSERT INTO staff (staff_id, name, team, site) VALUES ($1, $2, $3, $4)`, [s.id, s.name, s.team, s.store]);
  }
  return { survey, replaced: old !== undefined };
}

export async function listSurveys(db: Queryable): Promise<SurveySummary[]> {
  const rows = await db.query(`SELECT survey_id, name, type, definition, created_at, updated_at FROM surveys ORDER BY survey_id COLLATE "C"`);
  return rows.map((r) => ({
    survey_id: String(r.survey_id),
    name: String(r.name ?? r.survey_id),
    type: String(r.type),
    questions: (JSON.parse(String(r.definition)) as SurveyDefinition).questions.length,
    created_at: new Date(Number(r.created_at)).toISOString(),
    updated_at: new Date(Number(r.updated_at)).toISOString(),
  }));
}

export async function getSurvey(db: Queryable, id: string): Promise<SurveyDefinition> {
  const [row] = await db.query(`SELECT definition FROM surveys WHERE survey_id = $1`, [id]);
  if (row === undefined) throw new AppError('not_found', `no survey ${id}`, { hint: 'add one with: throughline surveys add FILE' });
  return JSON.parse(String(row.definition)) as SurveyDefinition;
}
