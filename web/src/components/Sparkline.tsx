import { useMemo } from 'react';
import { Chart } from './Chart.tsx';

/** A small trend line without axes: each point a bucket of the period (missing values leave a gap). */
export function Sparkline({ values, labels, format, color = '#1677ff' }: { values: (number | null)[]; labels: string[]; format: (v: number | null) => string; color?: string }) {
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 2 },
      xAxis: { type: 'category', show: false, data: labels, boundaryGap: false },
      yAxis: { type: 'value', show: false, scale: true },
      tooltip: { trigger: 'axis', confine: true, valueFormatter: (v: number | null) => format(v) },
      series: [{ type: 'line', data: values, showSymbol: false, smooth: 0.2, lineStyle: { width: 1.5, color }, areaStyle: { color, opacity: 0.12 } }],
    }),
    [values, labels, format, color],
  );
  return <Chart option={option} height={48} testId="sparkline" />;
}
