import { Alert } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, type ApiErrorDetail } from '../api/client.ts';

/**
 * An API error as the operator needs it: the API's own sentence, and each field path with what is wrong there; a form
 * that shows some of them on its fields passes the rest as `details`.
 */
export function ApiErrorAlert({ error, details }: { error: unknown; details?: ApiErrorDetail[] }) {
  const { t } = useTranslation();
  const api = error instanceof ApiError ? error : undefined;
  const message = api ? api.message : error instanceof Error ? error.message : String(error);
  const listed = details ?? api?.details ?? [];
  return (
    <Alert
      type="error"
      showIcon
      data-testid="api-error"
      title={api?.status === 0 ? t('common.networkError') : t('common.apiError', { status: api?.status ?? '' })}
      description={
        <div>
          <div>{message}</div>
          {listed.length > 0 && (
            <ul className="siyu-error-details">
              {listed.map((d, i) => (
                <li key={i}>
                  <code>{d.path ?? (d.line !== undefined ? `#${d.line}` : '')}</code> {d.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      }
    />
  );
}
