import { Input, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

const show = (value: unknown) => (value === undefined ? '' : JSON.stringify(value, null, 2));

/**
 * A form field holding a JSON value (a condition, filters, traits): the operator types JSON, and the value changes
 * only when the text parses; an empty text is no value. A change from outside replaces the text.
 */
export function JsonInput({ value, onChange, rows = 4, testId }: { value?: unknown; onChange?: (value: unknown) => void; rows?: number; testId?: string }) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => show(value));
  const [error, setError] = useState<string>();
  const emitted = useRef<unknown>(value);
  useEffect(() => {
    if (value !== emitted.current) {
      emitted.current = value;
      setText(show(value));
      setError(undefined);
    }
  }, [value]);
  const edit = (next: string) => {
    setText(next);
    try {
      const parsed: unknown = next.trim() ? JSON.parse(next) : undefined;
      setError(undefined);
      emitted.current = parsed;
      onChange?.(parsed);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <>
      <Input.TextArea value={text} onChange={(e) => edit(e.target.value)} autoSize={{ minRows: rows, maxRows: 16 }} spellCheck={false} className="siyu-json" status={error ? 'error' : undefined} data-testid={testId} />
      {error && <Typography.Text type="danger">{t('common.jsonError', { error })}</Typography.Text>}
    </>
  );
}
