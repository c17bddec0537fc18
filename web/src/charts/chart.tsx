/**
 * One ECharts chart in a resizable box. ECharts itself is imported when the first chart mounts,
 * in its own chunk. The box is an image with a text label for screen readers; every chart in
 * the dashboard also has its numbers in a table or list beside it.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { downloadUrl } from '../csv.ts';
import type * as EChartsSetup from './echarts.ts';

/** The option object as ECharts takes it; typed loosely because each page builds its own. */
export type ChartOption = Record<string, unknown>;
export interface ChartClick {
  dataType?: string;
  name?: string;
  data?: unknown;
}

type EChartsModule = typeof EChartsSetup;
let loading: Promise<EChartsModule> | null = null;

/**
 * The chart as an SVG file (what the SVG renderer draws) or a PNG drawn from that SVG at twice
 * the size, white behind, so the picture can leave the app.
 */
async function savePicture(c: { getDataURL: (o: { type: 'svg' | 'png'; backgroundColor?: string }) => string; getWidth: () => number; getHeight: () => number }, name: string, type: 'svg' | 'png'): Promise<void> {
  const svg = c.getDataURL({ type: 'svg', backgroundColor: '#ffffff' });
  if (type === 'svg') return downloadUrl(`${name}.svg`, svg);
  const img = new Image();
  img.src = svg;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = c.getWidth() * 2;
  canvas.height = c.getHeight() * 2;
  const g = canvas.getContext('2d');
  if (g === null) throw new Error('this browser cannot draw a PNG');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.drawImage(img, 0, 0, canvas.width, canvas.height);
  downloadUrl(`${name}.png`, canvas.toDataURL('image/png'));
}

export function Chart({
  option,
  label,
  height = 320,
  onClick,
  downloadName,
}: {
  option: ChartOption;
  label: string;
  height?: number;
  onClick?: (e: ChartClick) => void;
  /** Offers SVG and PNG downloads of the chart under this file name. */
  downloadName?: string;
}): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ReturnType<EChartsModule['echarts']['init']> | null>(null);
  const click = useRef(onClick);
  click.current = onClick;
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | null = null;
    (loading ??= import('./echarts.ts')).then(
      ({ echarts }) => {
        if (disposed || box.current === null) return;
        const c = echarts.init(box.current, null, { renderer: 'svg' });
        chart.current = c;
        c.on('click', (e) => click.current?.(e as ChartClick));
        observer = new ResizeObserver(() => c.resize());
        observer.observe(box.current);
      },
      () => {
        loading = null;
        setFailed('the chart library did not load; reload the page');
      },
    );
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    let cancelled = false;
    const apply = (): void => {
      if (cancelled) return;
      // The library may still be loading on first render: try again on the next frame.
      if (chart.current === null) {
        if (failed === null) requestAnimationFrame(apply);
        return;
      }
      chart.current.setOption(option, { notMerge: true });
    };
    apply();
    return () => {
      cancelled = true;
    };
  }, [option, failed]);

  const save = (type: 'svg' | 'png'): void => {
    if (chart.current === null || downloadName === undefined) return;
    savePicture(chart.current, downloadName, type).catch((e: unknown) => setFailed(`could not make the picture: ${e instanceof Error ? e.message : String(e)}`));
  };
  const box_ = (
    <div className="chart" role="img" aria-label={label} style={{ height }}>
      {failed !== null ? <p className="state problem">{failed}</p> : <div ref={box} className="chart-canvas" data-chart={label} />}
    </div>
  );
  if (downloadName === undefined) return box_;
  return (
    <>
      {box_}
      <p className="chart-downloads">
        Download the picture:{' '}
        <button type="button" className="link-button" onClick={() => save('svg')} data-download="svg">
          SVG
        </button>{' '}
        ·{' '}
        <button type="button" className="link-button" onClick={() => save('png')} data-download="png">
          PNG
        </button>
      </p>
    </>
  );
}
