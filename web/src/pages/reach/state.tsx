import { Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../components/FormatProvider.tsx';
import { reasonText, untilInstant } from './reason.ts';

export const MESSAGE_STATES = ['queued', 'deferred', 'skipped', 'sending', 'handed_over', 'delivered', 'failed', 'unknown', 'read', 'clicked'] as const;

const COLOR: Record<string, string> = { delivered: 'green', read: 'green', clicked: 'green', handed_over: 'blue', sending: 'blue', failed: 'red', skipped: 'orange', deferred: 'gold', unknown: 'purple', queued: 'default' };

/** A message's state, coloured: green reached the customer, blue on its way, red refused, orange not sent. */
export function StateTag({ state }: { state: string }) {
  const { t } = useTranslation();
  return <Tag color={COLOR[state]} data-testid="message-state">{t(`reach.state.${state}`, { defaultValue: state })}</Tag>;
}

/** A reason sentence of the API in the current language (reason.ts), or as the API gave it when no pattern knows it. */
export function useReason(): (reason: string) => string {
  const { t } = useTranslation();
  const format = useFormat();
  return (reason) => {
    const { key, values, until } = reasonText(reason);
    if (!key) return reason;
    const channel = values.channel && t(`journeys.channel.${values.channel}`, { defaultValue: values.channel });
    const purpose = values.purpose && t(`reach.purpose.${values.purpose}`, { defaultValue: values.purpose });
    const window = values.window && t(`reach.reason.window.${values.window}`);
    const text = t(`reach.reason.${key}`, { ...values, ...(channel ? { channel } : {}), ...(purpose ? { purpose } : {}), ...(window ? { window } : {}) });
    if (until === undefined) return text;
    const at = untilInstant(until);
    return t('reach.reason.until', { reason: text, until: at ? format.dateTime(at) : until });
  };
}

/** A reason in the operator's language, the API's own sentence on hover. */
export function Reason({ reason, maxWidth = 260 }: { reason: string; maxWidth?: number }) {
  const describe = useReason();
  const text = describe(reason);
  return (
    <Typography.Text type="secondary" style={{ maxWidth }} ellipsis={{ tooltip: text === reason ? reason : `${text} — ${reason}` }} data-testid="message-reason">
      {text}
    </Typography.Text>
  );
}
