/**
 * The journey filters the journey pages share, kept in the address: intent and period, and the
 * process-mining filters by activity and duration (docs/journeys.md, "Filters"), which the API
 * takes under the same names.
 */
import type { ReactNode } from 'react';
import type { JourneysDocument } from '../../src/journey/summary.ts';
import { useApi } from './data.ts';
import { setQuery, useLocation } from './router.tsx';
import { Field } from './ui.tsx';

export interface JourneyFilters {
  intent: string;
  from: string;
  to: string;
  contains: string;
  'not-contains': string;
  'starts-with': string;
  'ends-with': string;
  'min-duration': string;
  'max-duration': string;
}

/** The filters typed as text: an API query parameter each, committed on Enter or leaving the box. */
const TEXT_FILTERS = [
  ['contains', 'Contains', 'activities, comma-separated: all of them'],
  ['not-contains', 'Does not contain', 'none of these activities'],
  ['starts-with', 'Starts with', 'one of these activities'],
  ['ends-with', 'Ends with', 'one of these activities'],
  ['min-duration', 'At least', 'lasting, e.g. 2h or 3d'],
  ['max-duration', 'At most', 'lasting, e.g. 30m or 1w'],
] as const;

const KEYS = ['intent', 'from', 'to', ...TEXT_FILTERS.map(([k]) => k)] as const;

export function useJourneyFilters(): JourneyFilters {
  const { query } = useLocation();
  return Object.fromEntries(KEYS.map((k) => [k, query.get(k) ?? ''])) as unknown as JourneyFilters;
}

/** The filters as API query parameters, the empty ones left out. */
export function journeyQuery(filters: JourneyFilters): Record<string, string> {
  return Object.fromEntries(KEYS.filter((k) => filters[k] !== '').map((k) => [k, filters[k]]));
}

/** A text box whose value reaches the address (and the API) on Enter or when the box is left, not per keystroke. */
function CommitInput({ name, value, placeholder }: { name: string; value: string; placeholder: string }): ReactNode {
  const commit = (v: string): void => {
    if (v.trim() !== value) setQuery({ [name]: v.trim(), step: null });
  };
  return (
    <input
      key={value}
      type="text"
      name={name}
      defaultValue={value}
      placeholder={placeholder}
      onBlur={(e) => commit(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit(e.currentTarget.value);
      }}
    />
  );
}

/** Intent and period, kept in the address so a filtered view can be shared. */
export function JourneyFilterBar({ filters }: { filters: JourneyFilters }): ReactNode {
  const summary = useApi<JourneysDocument>('journeys');
  const intents = summary.status === 'ok' ? summary.data.by_intent.map((i) => i.intent).filter((i) => i !== null && i !== '') : [];
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
      <Field label="Intent">
        <select name="intent" value={filters.intent} onChange={(e) => setQuery({ intent: e.target.value, step: null })}>
          <option value="">All intents</option>
          {intents.map((i) => (
            <option key={i} value={i}>
              {i.replace(/_/g, ' ')}
            </option>
          ))}
          {filters.intent !== '' && !intents.includes(filters.intent) && <option value={filters.intent}>{filters.intent}</option>}
        </select>
      </Field>
      <Field label="From">
        <input type="date" name="from" value={filters.from} onChange={(e) => setQuery({ from: e.target.value })} />
      </Field>
      <Field label="To">
        <input type="date" name="to" value={filters.to} onChange={(e) => setQuery({ to: e.target.value })} />
      </Field>
      {TEXT_FILTERS.map(([key, label, placeholder]) => (
        <Field key={key} label={label}>
          <CommitInput name={key} value={filters[key]} placeholder={placeholder} />
        </Field>
      ))}
      {KEYS.some((k) => filters[k] !== '') && (
        <button type="button" className="link-button" onClick={() => setQuery({ ...Object.fromEntries(KEYS.map((k) => [k, null])), step: null })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
