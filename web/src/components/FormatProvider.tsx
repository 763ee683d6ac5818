import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useBrandSettings } from '../api/settings.ts';
import { useLanguage } from '../i18n/index.ts';
import { createFormatter, type Formatter } from './format.ts';

const FormatContext = createContext<Formatter>(createFormatter('zh-CN', 'Asia/Shanghai'));

/**
 * Formats with the current language and the brand's timezone and currency (GET /v1/settings, read when the signed-in
 * user may: `enabled`); until then, and for users without settings:read, Asia/Shanghai and CNY.
 */
export function FormatProvider({ children, enabled = true }: { children: ReactNode; enabled?: boolean }) {
  const { language } = useLanguage();
  const settings = useBrandSettings(enabled);
  const timezone = settings.data?.timezone ?? 'Asia/Shanghai';
  const currency = settings.data?.currency ?? 'CNY';
  const formatter = useMemo(() => createFormatter(language, timezone, currency), [language, timezone, currency]);
  return <FormatContext.Provider value={formatter}>{children}</FormatContext.Provider>;
}

export const useFormat = (): Formatter => useContext(FormatContext);
