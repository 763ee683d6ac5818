// The codes the API uses for layers; their names are in the i18n files under codes.*.
export const STAGE_CODES = ['prospect', 'new', 'active', 'repeat', 'dormant', 'churned', 'reactivated'] as const;
export const TIER_CODES = ['head', 'waist', 'tail'] as const;
export const RFM_CODES = ['important_value', 'important_development', 'important_retention', 'important_winback', 'general_value', 'general_development', 'general_retention', 'general_winback'] as const;
