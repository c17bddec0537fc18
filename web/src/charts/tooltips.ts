/**
 * Every chart tooltip of the dashboard, and the one way they build HTML. ECharts puts what a
 * tooltip formatter returns into the page as HTML, so each value from data (a step's name is
 * whatever a sender called its event) goes through `html`, which escapes it; only the literal
 * markup of the template is trusted. A new chart's tooltip belongs here, with its test in
 * test/web/chart-tooltips.test.ts.
 */
import type { NpsFigure } from '../../../src/feedback/metrics.ts';
import { int, interval, nps, pct, seconds } from '../format.ts';

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text made safe to place in HTML, in an element or a quoted attribute. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

/** A tagged template for tooltip HTML: the literal parts are markup, every `${value}` is escaped. */
export function html(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? escapeHtml(values[i]) : ''), '');
}

/** What ECharts hands a Sankey's item tooltip: a step (node) or a transition (edge). */
export interface SankeyTooltipParams {
  dataType: string;
  data: { name?: string; value?: number; source?: string; target?: string; median_seconds?: number | null };
}

/** The journey map's tooltip: a step's events and failure rate, or a transition's count and median time. */
export function sankeyTooltip(rates: ReadonlyMap<string, number>): (p: SankeyTooltipParams) => string {
  return (p) => {
    const d = p.data;
    if (p.dataType === 'edge') return html`${d.source} → ${d.target}<br/>${int(d.value)} times${d.median_seconds == null ? '' : ` · median ${seconds(d.median_seconds)}`}`;
    const rate = rates.get(d.name ?? '');
    return html`${d.name}<br/>${int(d.value)} events` + (rate === undefined ? '' : html`<br/>fails ${pct(rate)}`);
  };
}

/** The overview's NPS trend tooltip: the month, its NPS with the interval, and how many answers. */
export function npsTrendTooltip(months: readonly { key: string | null; nps: NpsFigure }[]): (ps: { dataIndex: number }[]) => string {
  return (ps) => {
    const m = months[ps[0]?.dataIndex ?? 0];
    if (m === undefined) return '';
    return html`${m.key}<br/>NPS ${nps(m.nps.score)} (95%: ${interval(m.nps.ci95)})<br/>${m.nps.n} answers${m.nps.small_n ? ' (few)' : ''}`;
  };
}
