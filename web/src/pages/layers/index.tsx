import { Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../components/PageHeader.tsx';
import { Clusters, Lifecycle, Rfm, Tiers } from './panels.tsx';
import { Migration } from './migration.tsx';

/** 分层: the layers as they stand (RFM, stages, tiers, clusters) and how customers moved between two days. */
export default function Layers() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t('layers.title')} subtitle={t('layers.subtitle')} />
      <Tabs
        destroyOnHidden
        items={[
          { key: 'rfm', label: t('layers.tab.rfm'), children: <Rfm /> },
          { key: 'lifecycle', label: t('layers.tab.lifecycle'), children: <Lifecycle /> },
          { key: 'tiers', label: t('layers.tab.tiers'), children: <Tiers /> },
          { key: 'clusters', label: t('layers.tab.clusters'), children: <Clusters /> },
          { key: 'migration', label: t('layers.tab.migration'), children: <Migration /> },
        ]}
      />
    </>
  );
}
