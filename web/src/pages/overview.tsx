/**
 * Overview: the few figures a leader looks at first, each a link to the page that explains it.
 * Every figure loads on its own, so one slow or missing analysis does not blank the page.
 */
import { useMemo } from 'react';
import type { ReactNode } from 'react';
import type { CaseDoc } from '../../../src/feedback/cases.ts';
import type { HiddenAtRisk } from '../../../src/feedback/hidden.ts';
import type { MetricsDoc, NpsFigure } from '../../../src/feedback/metrics.ts';
import type { BrokenStep } from '../../../src/journey/broken.ts';
import type { JourneysDocument } from '../../../src/journey/summary.ts';
import { Chart } from '../charts/chart.tsx';
import type { ChartOption } from '../charts/chart.tsx';
import { npsTrendTooltip } from '../charts/tooltips.ts';
import { useApi } from '../data.ts';
import type { ApiResult } from '../data.ts';
import { fixed, int, interval, nps, pct } from '../format.ts';
import { drillTo } from '../drill-link.ts';
import { Link } from '../router.tsx';
import { Empty, Figure, Page, Show } from '../ui.tsx';

/** A figure that is still loading or failed shows as a card saying so, keeping the grid's shape. */
function Card<T>({ result, label, children }: { result: ApiResult<T>; label: string; children: (d: T) => ReactNode }): ReactNode {
  if (result.status === 'ok') return <>{children(result.data)}</>;
  const text = result.status === 'loading' ? 'loading…' : result.status === 'unavailable' ? 'not available on this server' : result.error.message;
  return (
    <div className="figure muted" aria-busy={result.status === 'loading'}>
      <span className="figure-label">{label}</span>
      <span className="figure-detail">{text}</span>
    </div>
  );
}

/** The axis range that holds every score and band, rounded out to tens, within −100…100. */
export function npsAxis(months: { nps: NpsFigure }[]): { min: number; max: number } {
  const values = months.flatMap((m) => [m.nps.score, ...(m.nps.ci95 ?? [])]).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return { min: -100, max: 100 };
  const lo = Math.max(-100, Math.floor((Math.min(...values) - 2) / 10) * 10);
  const hi = Math.min(100, Math.ceil((Math.max(...values) + 2) / 10) * 10);
  return hi - lo < 20 ? { min: Math.max(-100, lo - 10), max: Math.min(100, hi + 10) } : { min: lo, max: hi };
}

/**
 * This period against the one before: the change, and whether it is beyond noise — the two
 * scores' 95% intervals give their standard errors, and the change is beyond noise when it
 * exceeds 1.96 standard errors of a difference.
 */
export function periodChange(months: { key: string | null; nps: NpsFigure }[]): { text: string; beyond: boolean } | null {
  const cur = months.at(-1);
  const prev = months.at(-2);
  if (cur === undefined || prev === undefined || cur.nps.score === null || prev.nps.score === null) return null;
  const change = cur.nps.score - prev.nps.score;
  const se = (f: NpsFigure): number | null => (f.ci95 === null ? null : (f.ci95[1] - f.ci95[0]) / (2 * 1.96));
  const a = se(cur.nps);
  const b = se(prev.nps);
  const beyond = a !== null && b !== null && Math.abs(change) > 1.96 * Math.sqrt(a * a + b * b);
  const arrow = change > 0 ? '▲' : change < 0 ? '▼' : '■';
  return { text: `${cur.key} ${nps(cur.nps.score)} vs ${prev.key ?? 'before'} ${nps(prev.nps.score)}: ${arrow} ${nps(change)}, ${beyond ? 'beyond noise' : 'within noise'}`, beyond };
}

export function npsTrendOption(months: { key: string | null; nps: NpsFigure }[]): ChartOption {
  const keys = months.map((m) => m.key ?? '?');
  const lo = months.map((m) => m.nps.ci95?.[0] ?? null);
  const span = months.map((m) => (m.nps.ci95 === null ? null : m.nps.ci95[1] - m.nps.ci95[0]));
  return {
    grid: { left: 48, right: 24, top: 24, bottom: 32 },
    tooltip: { trigger: 'axis', formatter: npsTrendTooltip(months) },
    xAxis: { type: 'category', data: keys, boundaryGap: false },
    // Scaled to the data (bands included), so a fall from +14 to +2 shows as the fall it is.
    yAxis: { type: 'value', ...npsAxis(months), name: 'NPS' },
    series: [
      // The band is two stacked series: an invisible lower bound, then the width of the interval.
      { name: 'lower', type: 'line', data: lo, stack: 'ci', symbol: 'none', lineStyle: { opacity: 0 }, silent: true },
      { name: '95% interval', type: 'line', data: span, stack: 'ci', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: '#2357c6', opacity: 0.15 }, silent: true },
      { name: 'Relationship NPS', type: 'line', data: months.map((m) => m.nps.score), symbolSize: 8, lineStyle: { width: 3, color: '#2357c6' }, itemStyle: { color: '#2357c6' } },
    ],
  };
}

export default function Overview(): ReactNode {
  const metrics = useApi<MetricsDoc>('metrics', { by: 'month' });
  const journeys = useApi<JourneysDocument>('journeys');
  const cases = useApi<CaseDoc[]>('cases');
  const broken = useApi<BrokenStep[]>('broken', { top: 3 });
  const hidden = useApi<HiddenAtRisk[]>('cases/hidden');

  const months = useMemo(
    () =>
      metrics.status === 'ok'
        ? (metrics.data.by ?? []).flatMap((b) => (b.nps.relationship !== null && b.nps.relationship.n > 0 ? [{ key: b.key, nps: b.nps.relationship }] : [])).sort((a, b) => String(a.key).localeCompare(String(b.key)))
        : [],
    [metrics],
  );
  const trend = useMemo(() => npsTrendOption(months), [months]);
  const change = useMemo(() => periodChange(months), [months]);

  return (
    <Page title="Overview" intro="How customers feel, whether their journeys work, and what is waiting to be put right. Each figure opens the page behind it.">
      <div className="figures" data-testid="figures">
        <Card result={metrics} label="Relationship NPS">
          {(m) => (
            <Figure
              label="Relationship NPS"
              to="/feedback?by=month"
              value={nps(m.nps.relationship?.score)}
              detail={
                <>
                  {m.nps.relationship ? `95%: ${interval(m.nps.relationship.ci95)} · ${int(m.nps.relationship.n)} answers` : 'no answers'}
                  {change !== null && (
                    <span className={`figure-change${change.beyond ? ' bad-text' : ''}`} data-testid="nps-change">
                      <br />
                      {change.text}
                    </span>
                  )}
                </>
              }
              drill={{ to: drillTo({ of: 'answers', metric: 'nps', scope: 'relationship', group: 'detractor' }), text: 'Who the detractors are' }}
            />
          )}
        </Card>
        <Card result={metrics} label="Transaction CSAT">
          {(m) => (
            <Figure
              label="Transaction CSAT"
              to="/feedback?by=channel"
              value={m.csat.transaction?.score == null ? '–' : `${fixed(m.csat.transaction.score)}%`}
              detail={m.csat.transaction ? `satisfied (4–5) · mean ${fixed(m.csat.transaction.mean, 2)} · ${int(m.csat.transaction.n)} answers` : 'no answers'}
              drill={{ to: drillTo({ of: 'answers', metric: 'csat', scope: 'transaction', group: 'unsatisfied' }), text: 'Who was not satisfied' }}
            />
          )}
        </Card>
        <Card result={metrics} label="Transaction CES">
          {(m) => (
            <Figure
              label="Transaction CES"
              to="/feedback?by=channel"
              value={fixed(m.ces.transaction?.score, 2)}
              detail={m.ces.transaction ? `mean of 1–7 · ${m.ces.transaction.percent_easy == null ? '–' : `${fixed(m.ces.transaction.percent_easy)}%`} easy · ${int(m.ces.transaction.n)} answers` : 'no answers'}
            />
          )}
        </Card>
        <Card result={journeys} label="Resolved journeys">
          {(j) => (
            <Figure
              label="Resolved journeys"
              to="/map"
              value={pct(j.resolved_rate)}
              detail={`of ${int(j.journeys)} journeys`}
              drill={{ to: drillTo({ of: 'journeys', outcome: 'resolved' }), text: 'List the resolved journeys' }}
            />
          )}
        </Card>
        <Card result={journeys} label="Containment">
          {(j) => <Figure label="Containment" to="/map" value={pct(j.containment_rate)} detail={`digital journeys with no assisted contact in 24 h (${int(j.digital_journeys)})`} />}
        </Card>
        <Card result={cases} label="Open cases">
          {(cs) => {
            const open = cs.filter((c) => c.status === 'open' || c.status === 'contacted');
            const overdue = open.filter((c) => c.overdue).length;
            return <Figure label="Open cases" to="/cases?status=active" value={int(open.length)} detail={`${int(overdue)} overdue`} tone={overdue > 0 ? 'bad' : undefined} />;
          }}
        </Card>
        <Card result={cases} label="Overdue cases">
          {(cs) => {
            const overdue = cs.filter((c) => c.overdue).length;
            return <Figure label="Overdue cases" to="/cases?overdue=1" value={int(overdue)} detail="past due, escalated" tone={overdue > 0 ? 'bad' : 'good'} />;
          }}
        </Card>
        <Card result={hidden} label="Hidden at risk">
          {(h) => <Figure label="Hidden at risk" to="/cases?hidden=1" value={int(h.length)} detail="happy with transactions, detractors overall" />}
        </Card>
      </div>

      <div className="grid two">
        <section className="card" aria-labelledby="trend-title">
          <h2 id="trend-title">Relationship NPS by month</h2>
          <Show result={metrics} what="the NPS trend" isEmpty={() => months.length === 0} empty="No relationship NPS answers yet: import feedback to see the trend.">
            {() => (
              <>
                <Chart option={trend} label={`Relationship NPS by month: ${months.map((m) => `${m.key} ${nps(m.nps.score)}`).join(', ')}`} height={260} />
                <p className="note">The shaded band is the 95% interval: months whose bands overlap may not really differ.</p>
              </>
            )}
          </Show>
        </section>
        <section className="card" aria-labelledby="broken-title">
          <h2 id="broken-title">Top broken steps</h2>
          <Show result={broken} what="broken steps" isEmpty={(b) => b.length === 0} empty="No step fails more than is normal for its kind.">
            {(b) => (
              <ol className="ranked">
                {b.map((s) => {
                  const id = `${s.channel}:${s.activity}`;
                  return (
                    <li key={id}>
                      <Link to={`/broken/${encodeURIComponent(id)}`}>
                        <strong>{id}</strong>
                      </Link>
                      <span>
                        fails {pct(s.failure_rate)} of {int(s.events)} times · {int(s.customers_affected)} customers · impact {fixed(s.impact, 1)}
                      </span>
                    </li>
                  );
                })}
              </ol>
            )}
          </Show>
          {broken.status === 'ok' && broken.data.length > 0 && (
            <p>
              <Link to="/broken">All broken steps</Link>
            </p>
          )}
        </section>
      </div>
      {metrics.status === 'ok' && months.length === 1 && <Empty>Only one month of answers so far: the trend needs two.</Empty>}
    </Page>
  );
}
