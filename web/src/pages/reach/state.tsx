import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';

export const MESSAGE_STATES = ['queued', 'deferred', 'skipped', 'sending', 'handed_over', 'delivered', 'failed', 'unknown', 'read', 'clicked'] as const;

const COLOR: Record<string, string> = { delivered: 'green', read: 'green', clicked: 'green', handed_over: 'blue', sending: 'blue', failed: 'red', skipped: 'orange', deferred: 'gold', unknown: 'purple', queued: 'default' };

/** A message's state, coloured: green reached the customer, blue on its way, red refused, orange not sent. */
export function StateTag({ state }: { state: string }) {
  const { t } = useTranslation();
  return <Tag color={COLOR[state]} data-testid="message-state">{t(`reach.state.${state}`, { defaultValue: state })}</Tag>;
}
