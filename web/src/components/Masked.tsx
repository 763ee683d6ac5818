import { LockOutlined, UnlockOutlined } from '@ant-design/icons';
import { Space, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';

/** A personal value (phone, name…): as the API masked it, or unmasked after a reveal with a reason (`revealed`). */
export function Masked({ value, revealed = false }: { value: string | null | undefined; revealed?: boolean }) {
  const { t } = useTranslation();
  if (!value) return <span>—</span>;
  const hint = revealed ? t('common.revealed') : t('common.masked');
  return (
    <Space size={4}>
      <span>{value}</span>
      <Tooltip title={hint}>{revealed ? <UnlockOutlined aria-label={hint} /> : <LockOutlined aria-label={hint} />}</Tooltip>
    </Space>
  );
}
