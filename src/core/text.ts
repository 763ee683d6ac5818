// Plain-text report helpers shared by the terminal formatters.

/** Pads to a terminal width, counting CJK characters as two columns. */
export function padDisplay(text: string, width: number): string {
  const used = [...text].reduce((w, ch) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);
  return text + ' '.repeat(Math.max(0, width - used));
}

/** A number with thousands separators and exactly `digits` decimals. */
export const formatNumber = (value: number, digits = 0): string => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
