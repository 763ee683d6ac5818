// The segment domain's public API: customer layering (docs/segmentation.md).
export { computeRfm, RFM_CLASSES, type RfmClassCode, type RfmOptions, type RfmReport, type RfmThreshold } from './rfm.ts';
export { computeTiers, TIERS, type TierCode, type TierOptions, type TierReport } from './tiers.ts';
export { computeLifecycle, STAGES, type LifecycleOptions, type LifecycleReport, type StageCode } from './lifecycle.ts';
export { attributeDefinitions, attributeQuery, BUILT_IN_ATTRIBUTES, computeAttributes, defineAttribute, dropAttribute, type AttributeDefinition } from './attributes.ts';
