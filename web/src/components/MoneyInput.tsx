import { InputNumber } from 'antd';
import type { CSSProperties } from 'react';

const GROUPS = /\B(?=(\d{3})+(?!\d))/g;

/**
 * A money input for a form field held in fen (as the API takes money): the operator types yuan (¥99.90), the field
 * gets whole fen (9990); a cleared input gives null.
 */
export function MoneyInput({ value, onChange, placeholder, style, testId }: { value?: number | null; onChange?: (fen: number | null) => void; placeholder?: string; style?: CSSProperties; testId?: string }) {
  return (
    <InputNumber<number>
      prefix="¥"
      min={0}
      precision={2}
      step={1}
      style={{ width: '100%', ...style }}
      placeholder={placeholder}
      data-testid={testId}
      value={value === null || value === undefined ? null : value / 100}
      // Grouped, with the fen once typing is done (¥1,234.50); the default parser drops the separators again.
      formatter={(v, info) => (v === undefined || v === null || String(v) === '' ? '' : (info.userTyping ? String(v) : Number(v).toFixed(2)).replace(/^\d+/, (whole) => whole.replace(GROUPS, ',')))}
      onChange={(yuan) => onChange?.(yuan === null || yuan === undefined || Number.isNaN(yuan) ? null : Math.round(yuan * 100))}
    />
  );
}
