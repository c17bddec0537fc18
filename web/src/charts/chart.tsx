/**
 * One ECharts chart in a resizable box. ECharts itself is imported when the first chart mounts,
 * in its own chunk. The box is an image with a text label for screen readers; every chart in
 * the dashboard also has its numbers in a table or list beside it.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
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

export function Chart({ option, label, height = 320, onClick }: { option: ChartOption; label: string; height?: number; onClick?: (e: ChartClick) => void }): ReactNode {
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

  return (
    <div className="chart" role="img" aria-label={label} style={{ height }}>
      {failed !== null ? <p className="state problem">{failed}</p> : <div ref={box} className="chart-canvas" data-chart={label} />}
    </div>
  );
}
