/**
 * Journey map: the Sankey of steps across channels for an intent and period, failed steps
 * coloured by failure rate; choosing a step (click, or the step list for keyboards) shows its
 * volumes, failures, what happens next and the variants through it.
 */
import { useMemo } from 'react';
import type { ReactNode } from 'react';
import type { BrokenStep } from '../../../src/journey/broken.ts';
import type { JourneyMap } from '../../../src/journey/map.ts';
import type { Variants } from '../../../src/journey/variants.ts';
import { Chart } from '../charts/chart.tsx';
import type { ChartClick, ChartOption } from '../charts/chart.tsx';
import { sankeyTooltip } from '../charts/tooltips.ts';
import { useApi } from '../data.ts';
import { int, pct, seconds, splitStep } from '../format.ts';
import { drillTo } from '../drill-link.ts';
import { Link, navigate, setQuery, useLocation } from '../router.tsx';
import { Empty, Field, Page, Pill, Show } from '../ui.tsx';
import { JourneyFilterBar, journeyQuery, useJourneyFilters } from '../journey-filters.tsx';
import { failureColour, sankeyData } from './sankey.ts';
import type { SankeyData } from './sankey.ts';

/** `web:pay_bill/submit_payment` → `web · submit payment` when the map is of pay_bill already. */
function shortLabel(id: string, intent: string): string {
  const { channel, activity } = splitStep(id);
  const act = intent !== '' && activity.startsWith(`${intent}/`) ? activity.slice(intent.length + 1) : activity;
  // Whole, never cut with an ellipsis: a long label wraps within its column instead (label.width).
  return `${channel} · ${act.replace(/_/g, ' ')}`;
}

/** Room for a step's label beside its node: each column is at least this plus the node apart. */
const LABEL_WIDTH = 150;

function sankeyOption(data: SankeyData, rates: ReadonlyMap<string, number>, selected: string | null, intent: string): ChartOption {
  return {
    tooltip: { trigger: 'item', formatter: sankeyTooltip(rates) },
    series: [
      {
        type: 'sankey',
        left: 8,
        right: LABEL_WIDTH + 20,
        nodeAlign: 'left',
        top: 8,
        bottom: 8,
        nodeWidth: 14,
        nodeGap: 6,
        layoutIterations: 32,
        draggable: false,
        emphasis: { focus: 'adjacency' },
        labelLayout: { hideOverlap: true },
        label: { fontSize: 11, color: '#1c2433', width: LABEL_WIDTH, overflow: 'break', lineHeight: 13, formatter: (p: { name: string }) => shortLabel(p.name, intent) },
        lineStyle: { color: 'gradient', opacity: 0.35, curveness: 0.5 },
        data: data.nodes.map((n) => ({
          name: n.name,
          value: n.value,
          itemStyle: {
            color: failureColour(rates.get(n.name)),
            borderColor: n.name === selected ? '#111' : 'transparent',
            borderWidth: n.name === selected ? 2 : 0,
          },
        })),
        links: data.links,
      },
    ],
  };
}

/** A step's failures: its broken-steps row, none (it never failed), or still loading / not to be had. */
type StepFailures = BrokenStep | 'none' | 'loading' | 'unknown';

function StepPanel({
  step,
  map,
  broken,
  variants,
  loops,
  filter,
}: {
  step: string;
  map: JourneyMap;
  broken: StepFailures;
  variants: Variants | null;
  loops: SankeyData['loops'];
  filter: Readonly<Record<string, string>>;
}): ReactNode {
  const node = map.nodes.find((n) => n.id === step);
  if (node === undefined) return <Empty>The step {step} has no events with these filters.</Empty>;
  const next = map.edges.filter((e) => e.from === step).sort((a, b) => b.count - a.count);
  const prev = map.edges.filter((e) => e.to === step).sort((a, b) => b.count - a.count);
  const ends = map.end[step] ?? 0;
  const through = variants?.variants.filter((v) => v.sequence.includes(step)) ?? [];
  return (
    <div className="step-panel" data-testid="step-panel">
      <h3>{step}</h3>
      <dl className="facts">
        <dt>Events</dt>
        <dd>{int(node.count)}</dd>
        <dt>Journeys starting here</dt>
        <dd>{int(map.start[step] ?? 0)}</dd>
        <dt>Journeys ending here</dt>
        <dd>{int(ends)}</dd>
        <dt>Failure rate</dt>
        <dd>
          {broken === 'loading' ? (
            'loading…'
          ) : broken === 'unknown' ? (
            'not available'
          ) : broken === 'none' ? (
            'no failures'
          ) : (
            <>
              <strong className="bad-text">{pct(broken.failure_rate)}</strong> ({int(broken.failures)} of {int(broken.events)}; normal for such steps {pct(broken.expected_failure_rate)})
            </>
          )}
        </dd>
      </dl>
      {typeof broken === 'object' && (
        <p>
          <Link to={`/broken/${encodeURIComponent(step)}`}>What happened after these failures</Link>
        </p>
      )}
      <h4>What happens next</h4>
      {next.length === 0 && ends === 0 ? (
        <p className="note">Nothing follows this step.</p>
      ) : (
        <table className="compact steps">
          <thead>
            <tr>
              <th scope="col">Next step</th>
              <th scope="col" className="num">
                Times
              </th>
              <th scope="col" className="num">
                Share
              </th>
              <th scope="col" className="num">
                Median wait
              </th>
            </tr>
          </thead>
          <tbody>
            {next.map((e) => (
              <tr key={e.to}>
                <td>
                  <button type="button" className="link-button" onClick={() => setQuery({ step: e.to })}>
                    {e.to}
                  </button>
                  {loops.some((l) => l.from === e.from && l.to === e.to) && <Pill tone="warn">loop</Pill>}
                </td>
                <td className="num">
                  <Link to={drillTo({ of: 'edge', 'edge-from': e.from, 'edge-to': e.to, ...filter })} data-drill="edge" title={`The ${e.count} journeys where ${e.to} came right after ${e.from}`}>
                    {int(e.count)}
                  </Link>
                </td>
                <td className="num">{pct(e.count / node.count, 0)}</td>
                <td className="num">{seconds(e.median_seconds)}</td>
              </tr>
            ))}
            {ends > 0 && (
              <tr>
                <td>journey ends</td>
                <td className="num">{int(ends)}</td>
                <td className="num">{pct(ends / node.count, 0)}</td>
                <td />
              </tr>
            )}
          </tbody>
        </table>
      )}
      {prev.length > 0 && (
        <p className="note">
          Comes most often after {prev.slice(0, 3).map((e) => `${e.from} (${int(e.count)})`).join(', ')}.
        </p>
      )}
      <h4>Variants through this step</h4>
      {variants === null ? (
        <p className="note">Variants are not available.</p>
      ) : through.length === 0 ? (
        <p className="note">None of the {int(variants.variants.length)} most common variants pass here.</p>
      ) : (
        <ol className="variants">
          {through.slice(0, 6).map((v) => (
            <li key={v.sequence.join('>')}>
              <span className="count">{int(v.count)}×</span>{' '}
              {v.sequence.map((s, i) => (
                <span key={i} className={s === step ? 'seq here' : 'seq'}>
                  {s}
                </span>
              ))}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

export default function JourneyMapPage(): ReactNode {
  const filters = useJourneyFilters();
  const { query } = useLocation();
  const step = query.get('step');
  const q = journeyQuery(filters);
  const map = useApi<JourneyMap>('map', q);
  const broken = useApi<BrokenStep[]>('broken', { ...q, top: 1000 });
  const variants = useApi<Variants>('variants', { ...q, top: 200 });

  // Colour is the excess over what is normal for the step's kind (broken steps' definition), so a
  // routing menu that every caller passes through is not painted red for doing its job.
  const rates = useMemo(() => new Map(broken.status === 'ok' ? broken.data.map((b) => [`${b.channel}:${b.activity}`, Math.max(0, b.excess_failure_rate)] as const) : []), [broken]);
  const data = useMemo(() => (map.status === 'ok' ? sankeyData(map.data) : null), [map]);
  const option = useMemo(() => (data === null ? null : sankeyOption(data, rates, step, filters.intent)), [data, rates, step, filters.intent]);
  const singleStep = variants.status === 'ok' ? variants.data.variants.filter((v) => v.sequence.length === 1).reduce((n, v) => n + v.count, 0) : 0;

  const onClick = (e: ChartClick): void => {
    if (e.dataType === 'node' && e.name !== undefined) setQuery({ step: e.name });
    const d = e.data as { source?: string; target?: string } | undefined;
    if (e.dataType === 'edge' && d?.source !== undefined && d.target !== undefined) navigate(drillTo({ of: 'edge', 'edge-from': d.source, 'edge-to': d.target, ...q }));
  };

  return (
    <Page title="Journey map" intro="Which step directly follows which, across channels. Wider flows are more frequent; a step is coloured by how much more often it fails than is normal for its kind, redder more. Choose a step to see what happens there; click a flow for the journeys behind it.">
      <JourneyFilterBar filters={filters} />
      <Show result={map} what="the journey map" isEmpty={(m) => m.journeys === 0} empty="No journeys match these filters: widen the period or choose another intent.">
        {(m) => (
          <>
            <section className="card" aria-labelledby="sankey-title">
              <h2 id="sankey-title">
                {int(m.journeys)} journeys{filters.intent === '' ? '' : ` to ${filters.intent.replace(/_/g, ' ')}`}
              </h2>
              {option !== null && data !== null && (
                // Each column needs room for its labels: a narrow screen scrolls the map sideways rather than overlap them.
                <div className="chart-scroll" tabIndex={0} style={{ ['--chart-min' as string]: `${data.columns * (LABEL_WIDTH + 30) + LABEL_WIDTH + 40}px` }}>
                  <Chart
                    option={option}
                    onClick={onClick}
                    downloadName="journey-map-sankey"
                    height={Math.max(380, Math.min(820, data.nodes.length * 15))}
                    label={`Sankey of ${data.nodes.length} steps and ${data.links.length} transitions`}
                  />
                </div>
              )}
              <div className="legend-row" aria-hidden="true">
                <span className="swatch" style={{ background: failureColour(undefined) }} /> fails as normal for its kind (or under 2 points more)
                <span className="swatch" style={{ background: failureColour(0.1) }} /> 10 points above normal
                <span className="swatch" style={{ background: failureColour(0.3) }} /> 30 points or more above normal
              </div>
              <p className="note">
                {data !== null && data.hidden > 0 && `The ${int(data.hidden)} rarest transitions are not drawn; the step details list them. `}
                {singleStep > 0 && `${int(singleStep)} journeys of a single step have no transition to draw. `}
                {filters.intent === '' && 'Choose an intent for a clearer map.'}
              </p>
            </section>
            <div className="grid two">
              <section className="card" aria-labelledby="step-title">
                <h2 id="step-title">Step</h2>
                <Field label="Choose a step">
                  <select name="step" value={step ?? ''} onChange={(e) => setQuery({ step: e.target.value })}>
                    <option value="">—</option>
                    {m.nodes.map((n) => (
                      <option key={n.id} value={n.id}>
                        {n.id} ({int(n.count)})
                      </option>
                    ))}
                  </select>
                </Field>
                {step === null ? (
                  <p className="note">Click a step in the map, or choose one here.</p>
                ) : (
                  <StepPanel
                    step={step}
                    map={m}
                    broken={
                      broken.status === 'ok' ? (broken.data.find((b) => `${b.channel}:${b.activity}` === step) ?? 'none') : broken.status === 'loading' ? 'loading' : 'unknown'
                    }
                    variants={variants.status === 'ok' ? variants.data : null}
                    loops={data?.loops ?? []}
                    filter={q}
                  />
                )}
              </section>
              <section className="card" aria-labelledby="loops-title">
                <h2 id="loops-title">Loops and repeats</h2>
                {data === null || data.loops.length === 0 ? (
                  <p className="note">No journey goes back to an earlier step.</p>
                ) : (
                  <>
                    <p className="note">A Sankey cannot draw a flow back to an earlier step, so these are listed here.</p>
                    <ul className="loops" data-testid="loops">
                      {data.loops.slice(0, 15).map((l) => (
                        <li key={`${l.from}>${l.to}`}>
                          {l.from === l.to ? `${l.from} repeated` : `${l.from} → back to ${l.to}`} <span className="count">{int(l.count)}×</span>
                        </li>
                      ))}
                    </ul>
                  </>
                )}
              </section>
            </div>
          </>
        )}
      </Show>
    </Page>
  );
}
