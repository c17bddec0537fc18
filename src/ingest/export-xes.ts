/**
 * Export as an IEEE 1849 XES event log, so that what Throughline imports it can hand back to
 * pm4py, Disco or ProM: one trace per journey (its id as the trace's `concept:name`), its events
 * in the order the journey map reads them (time, then input order). An event carries
 * `concept:name` (activity), `time:timestamp`, `org:resource` (agent), `lifecycle:transition`
 * where one was imported, and every other field and attribute as a string attribute under its
 * own key (`channel`, `outcome`, identifiers, `customer_key`…). Events that belong to no journey
 * (outbound contacts) go in one trace per customer, `<customer_key>/outside-journeys`.
 * Streams: the log is written as the store returns rows, a journey at a time.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { toIso } from '../core/time.ts';
import type { Row, Store } from '../store/store.ts';

/** Written from the event's own fields; an imported attribute of the same key is not repeated. */
const STANDARD_KEYS = new Set(['concept:name', 'time:timestamp', 'org:resource']);

/** XML 1.0 text: the five entities escaped, and characters XML cannot hold replaced by U+FFFD. */
export function xmlText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const attr = (tag: string, key: string, value: string): string => `<${tag} key="${xmlText(key)}" value="${xmlText(value)}"/>`;

/** The event's attributes as XES elements. */
function eventXml(r: Row): string {
  const parts = [attr('string', 'concept:name', String(r.activity)), attr('date', 'time:timestamp', toIso(Number(r.ts))!)];
  if (r.agent_id !== null && r.agent_id !== undefined) parts.push(attr('string', 'org:resource', String(r.agent_id)));
  const extra: [string, unknown][] = [];
  for (const k of ['channel', 'outcome', 'direction', 'intent', 'event_id', 'customer_key', 'customer_id', 'account_id', 'phone', 'email', 'device_id', 'cookie_id', 'text']) {
    extra.push([k, r[k]]);
  }
  for (const k of ['duration_s', 'wait_s']) if (r[k] !== null && r[k] !== undefined) parts.push(attr('float', k, String(r[k])));
  if (typeof r.attrs === 'string') {
    for (const [k, v] of Object.entries(JSON.parse(r.attrs) as Record<string, unknown>)) {
      if (!STANDARD_KEYS.has(k)) extra.push([k, v]);
    }
  }
  for (const [k, v] of extra) {
    if (v === null || v === undefined || v === '') continue;
    parts.push(attr('string', k, typeof v === 'object' ? JSON.stringify(v) : String(v)));
  }
  return `<event>${parts.join('')}</event>`;
}

export async function exportXes(store: Store, out: Writable): Promise<number> {
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n' +
      '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n' +
      '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n' +
      '<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n' +
      '<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>\n' +
      '<classifier name="Activity" keys="concept:name"/>\n',
  );
  let n = 0;
  let open: string | null = null;
  const trace = `coalesce(journey_ref, journey_id, customer_key || '/outside-journeys')`;
  for await (const batch of store.stream(`SELECT *, ${trace} AS xes_trace FROM interactions ORDER BY ${trace}, ts, seq`)) {
    let chunk = '';
    for (const r of batch) {
      const id = String(r.xes_trace);
      if (id !== open) {
        if (open !== null) chunk += '</trace>\n';
        chunk += `<trace>${attr('string', 'concept:name', id)}\n`;
        open = id;
      }
      chunk += eventXml(r) + '\n';
      n++;
    }
    await write(chunk);
  }
  await write(`${open !== null ? '</trace>\n' : ''}</log>\n`);
  return n;
}
