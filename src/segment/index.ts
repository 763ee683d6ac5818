// The segment domain's public API: customer layering (docs/segmentation.md).
export { computeRfm, RFM_CLASSES, type RfmClassCode, type RfmOptions, type RfmReport, type RfmThreshold } from './rfm.ts';
export { computeTiers, TIERS, type TierCode, type TierOptions, type TierReport } from './tiers.ts';
export { computeLifecycle, STAGES, type LifecycleOptions, type LifecycleReport, type StageCode } from './lifecycle.ts';
export { attributeDefinitions, BUILT_IN_ATTRIBUTES, computeAttributes, customerAttributes, defineAttribute, dropAttribute, type AttributeDefinition } from './attributes.ts';
export { attributeQuery } from './attribute-query.ts';
export { compileSegment, parseSegmentDefinition, previewSegment, SEGMENT_FIELDS, type SegmentNode, type SegmentPreview } from './builder.ts';
export { dueSegments, EXPORT_PROFILE_FIELDS, exportSegment, listSegments, REFRESH_SCHEDULES, saveSegment, type RefreshSchedule, type SavedSegment } from './segments.ts';
export { refreshSegment, refreshSegments, type RefreshReport } from './membership.ts';
export { SegmentScheduler } from './schedule.ts';
export { layerMigration, layerRuns, MIGRATION_LAYERS, recordLayerChanges, type MigrationLayer, type MigrationMatrix, type RecordedLayer } from './history.ts';
export { customerProfile, maskEmail, maskName, maskPhone, type CustomerProfile, type PiiPolicy } from './profile.ts';
export { CLUSTER_FEATURES, computeClusters, kMeans, silhouette, type ClusterReport, type KMeansResult } from './clusters.ts';
export { customerTags, defineTag, refreshTags, setTags, tagHistory, uploadTags, type TagDefinition, type TagKind } from './tags.ts';
export { RealtimeTagger } from './realtime.ts';
export { computeLayers, updateLayers, type LayerComputeReport, type LayerUpdateReport } from './layers.ts';
