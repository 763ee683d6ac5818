/** One line of a chart. */
export interface Series {
  name: string;
  values: readonly number[];
  color: string;
  dashed?: boolean;
}

const escape = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/**
 * A self-contained SVG line chart (no script, no fonts to load), for reports written by the CLI: series over a
 * shared x index, an optional vertical marker (e.g. the end of calibration), axis ticks and a legend.
 */
export function lineChartSvg(options: { title: string; xLabel: string; yLabel: string; series: readonly Series[]; marker?: { at: number; label: string } }): string {
  const width = 800;
  const height = 440;
  const pad = { left: 70, right: 20, top: 50, bottom: 60 };
  const n = Math.max(...options.series.map((s) => s.values.length));
  const yMax = Math.max(1e-9, ...options.series.flatMap((s) => s.values)) * 1.05;
  const x = (i: number) => pad.left + (n <= 1 ? 0 : (i / (n - 1)) * (width - pad.left - pad.right));
  const y = (v: number) => height - pad.bottom - (v / yMax) * (height - pad.top - pad.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16">${escape(options.title)}</text>`,
    `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#333"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#333"/>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const v = (yMax / 5) * k;
    parts.push(`<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`);
    parts.push(`<line x1="${pad.left}" y1="${y(v)}" x2="${width - pad.right}" y2="${y(v)}" stroke="#eee"/>`);
  }
  const step = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += step) parts.push(`<text x="${x(i)}" y="${height - pad.bottom + 18}" text-anchor="middle">${i + 1}</text>`);
  parts.push(`<text x="${width / 2}" y="${height - 18}" text-anchor="middle">${escape(options.xLabel)}</text>`);
  parts.push(`<text x="18" y="${height / 2}" text-anchor="middle" transform="rotate(-90 18 ${height / 2})">${escape(options.yLabel)}</text>`);
  if (options.marker) {
    const mx = x(options.marker.at);
    parts.push(`<line x1="${mx}" y1="${pad.top}" x2="${mx}" y2="${height - pad.bottom}" stroke="#999" stroke-dasharray="4 4"/>`);
    parts.push(`<text x="${mx + 4}" y="${pad.top + 12}" fill="#666">${escape(options.marker.label)}</text>`);
  }
  options.series.forEach((s, k) => {
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''} points="${points}"/>`);
    parts.push(`<line x1="${pad.left + 10}" y1="${pad.top + 10 + 18 * k}" x2="${pad.left + 34}" y2="${pad.top + 10 + 18 * k}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''}/>`);
    parts.push(`<text x="${pad.left + 40}" y="${pad.top + 14 + 18 * k}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
