/**
 * The only reader of process.env. Returns a frozen, validated configuration; everything else
 * receives the values it needs from the edge that called it.
 */
import { AppError } from '../core/errors.ts';
import { DEFAULT_PHONE_REGION, phoneRegion } from '../identity/normalize.ts';

export interface Config {
  /** `--db` default: a DuckDB file path or a postgres:// URL. */
  readonly db: string;
  /** Inactivity gap that splits a customer's journey toward one intent. */
  readonly journeyWindowMs: number;
  /** Where a phone number written without a country code is read (`--phone-region` overrides it). */
  readonly phoneRegion: string;
}

export const DEFAULT_DB = './throughline.duckdb';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const days = env.THROUGHLINE_JOURNEY_WINDOW_DAYS;
  let journeyWindowMs = 7 * 24 * 3600 * 1000;
  if (days !== undefined && days !== '') {
    const d = Number(days);
    if (!(d > 0)) {
      throw new AppError('usage', `THROUGHLINE_JOURNEY_WINDOW_DAYS="${days}" is not a positive number of days`, {
        hint: 'unset it to use the default of 7 days',
      });
    }
    journeyWindowMs = d * 24 * 3600 * 1000;
  }
  const region = env.THROUGHLINE_PHONE_REGION;
  return Object.freeze({
    db: env.THROUGHLINE_DB && env.THROUGHLINE_DB !== '' ? env.THROUGHLINE_DB : DEFAULT_DB,
    journeyWindowMs,
    phoneRegion: region === undefined || region === '' ? DEFAULT_PHONE_REGION : phoneRegion(region, 'THROUGHLINE_PHONE_REGION'),
  });
}
