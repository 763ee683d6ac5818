import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import type { JourneyStatus } from '../../api/journeys.ts';

const COLOR: Record<JourneyStatus, string> = { draft: 'default', active: 'green', paused: 'orange', archived: 'default' };

/** A journey's status as a coloured tag. */
export function StatusTag({ status }: { status: JourneyStatus }) {
  const { t } = useTranslation();
  return (
    <Tag color={COLOR[status]} data-testid="journey-status">
      {t(`journeys.status.${status}`)}
    </Tag>
  );
}
