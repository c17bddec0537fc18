/** The journey filters (intent and period) the journey pages share, kept in the address. */
import type { ReactNode } from 'react';
import type { JourneysDocument } from '../../src/journey/summary.ts';
import { useApi } from './data.ts';
import { setQuery, useLocation } from './router.tsx';
import { Field } from './ui.tsx';

export interface JourneyFilters {
  intent: string;
  from: string;
  to: string;
}

export function useJourneyFilters(): JourneyFilters {
  const { query } = useLocation();
  return { intent: query.get('intent') ?? '', from: query.get('from') ?? '', to: query.get('to') ?? '' };
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
      {(filters.intent !== '' || filters.from !== '' || filters.to !== '') && (
        <button type="button" className="link-button" onClick={() => setQuery({ intent: null, from: null, to: null, step: null })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
