/**
 * The contract's field names per kind, and kind detection from a header. One definition that
 * validation, mapping and export share.
 */
import { AppError } from '../core/errors.ts';
import { IDENTIFIER_TYPES, KINDS } from '../core/records.ts';
import type { Kind } from '../core/records.ts';

export const CONTRACT_FIELDS: Readonly<Record<Kind, readonly string[]>> = {
  profiles: [],
  interactions: ['event_id', 'ts', 'channel', 'activity', 'outcome', 'direction', 'agent_id', 'intent', 'journey_id', 'duration_s', 'wait_s', 'text'],
  feedback: ['response_id', 'ts', 'survey_id', 'metric', 'scope', 'score', 'comment', 'event_id', 'agent_id'],
  holdings: ['product', 'since', 'until'],
  promises: ['promise_id', 'ts', 'due', 'kind', 'agent_id', 'event_id', 'description', 'kept_at'],
  consents: ['channel', 'status', 'ts', 'timezone', 'quiet_start', 'quiet_end'],
  messages: ['message_id', 'ts', 'speaker', 'text', 'conversation_id', 'channel', 'agent_id', 'event_id', 'in_reply_to'],
  staff: ['employee_id', 'name', 'team', 'site', 'manager_id', 'role', 'since', 'until'],
  employee_feedback: ['response_id', 'ts', 'survey_id', 'metric', 'score', 'team', 'employee_id', 'comment'],
};

export function isKind(s: string): s is Kind {
  return (KINDS as readonly string[]).includes(s);
}

/**
 * Guesses the kind from column names, most specific first. Returns null when the columns fit
 * no kind, so the caller can ask for `--kind`.
 */
export function detectKind(columns: readonly string[]): Kind | null {
  const has = (c: string): boolean => columns.includes(c);
  if (has('message_id') || (has('speaker') && has('text'))) return 'messages';
  // Employee answers carry a team and no scope; a directory carries employee ids and no events.
  if (has('team') && has('metric') && has('score') && !has('scope')) return 'employee_feedback';
  if (has('employee_id') && !has('event_id') && !has('response_id') && !has('metric')) return 'staff';
  if (has('response_id') || (has('metric') && has('score'))) return 'feedback';
  if (has('promise_id') || (has('due') && has('kind'))) return 'promises';
  if (has('event_id') || (has('activity') && has('ts'))) return 'interactions';
  if (has('product')) return 'holdings';
  if (has('status') && has('channel')) return 'consents';
  if (IDENTIFIER_TYPES.some(has)) return 'profiles';
  return null;
}

/** Parses `to=from,to=from` (the `--map` option). `to` is a contract field, `from` an input column. */
export function parseMapping(spec: string | undefined): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  if (spec === undefined || spec.trim() === '') return map;
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const to = part.slice(0, eq).trim();
    const from = part.slice(eq + 1).trim();
    if (eq <= 0 || to === '' || from === '') {
      throw new AppError('usage', `--map entry "${part}" is not to=from`, { hint: 'write --map ts=time:timestamp,activity=concept:name' });
    }
    if (map.has(to)) throw new AppError('usage', `--map names ${to} twice`, { hint: 'give each contract field one source column' });
    map.set(to, from);
  }
  return map;
}

/** Parses `field=value,...` (the `--set` option): constants for fields the file does not have. */
export function parseConstants(spec: string | undefined): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  if (spec === undefined || spec.trim() === '') return map;
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new AppError('usage', `--set entry "${part}" is not field=value`, { hint: 'write --set channel=call' });
    map.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return map;
}
