import { Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../components/PageHeader.tsx';
import { ChurnPanel } from './churn.tsx';
import { ClvPanel } from './clv.tsx';

/** 预测: the CLV models (fit, holdout tracking, P(alive)) and the churn warning list. */
export default function Predict() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t('predict.title')} subtitle={t('predict.subtitle')} />
      <Tabs destroyOnHidden items={[{ key: 'churn', label: t('predict.tab.churn'), children: <ChurnPanel /> }, { key: 'clv', label: t('predict.tab.clv'), children: <ClvPanel /> }]} />
    </>
  );
}
