/**
 * Every permission the server checks, as `resource:action`, with what it allows. API key scopes are the same codes.
 * `admin` allows everything. Codes for journeys, coupons, jobs and settings are here already so roles can be
 * defined once; the routes that check them come with those issues.
 */
export const PERMISSIONS = {
  'customers:read': 'look up one customer: the 360° profile (personal data masked) and tags',
  'customers:read_pii': 'see name, phone, email and birthday unmasked, in profiles and exports; each reveal needs a reason and is audited',
  'customers:tag': 'add and remove manual tags on customers',
  'segments:read': 'list saved segments, preview a definition, migration matrices',
  'segments:write': 'save and refresh segments',
  'segments:export': 'export a segment’s members (masked unless customers:read_pii too)',
  'layers:read': 'see the current layers: RFM classes, stages, tiers, clusters',
  'layers:compute': 'run the layer computations (attributes, RFM, tiers, lifecycle, clusters) and the incremental update',
  'predictions:read': 'churn warnings and other model scores',
  'recommendations:read': 'recommendation lists and item lookups, rules, experiments and their report',
  'recommendations:write': 'set merchandising rules and start or stop experiments',
  'analytics:read': 'the commerce analytics: KPIs, retention, cohorts, funnels, breakdowns',
  'journeys:read': 'see journeys and their results',
  'journeys:write': 'create, change, start and stop journeys',
  'coupons:read': 'see coupons and offers',
  'coupons:write': 'create and change offers, issue codes, and redeem or release coupons (the mall and POS)',
  'points:read': 'see points and stored-value balances and ledgers',
  'points:write': 'award, spend and adjust points; top up, pay from and refund stored value',
  'loyalty:read': 'the loyalty programme settings and reports: points roll-forward and liability, coupon cost, stored value, tiers',
  'loyalty:write': 'change the points, tier and stored-value settings; set member tiers',
  'jobs:read': 'see the recurring jobs and their runs',
  'jobs:run': 'run scheduled jobs on demand',
  'jobs:write': 'change a job\'s schedule or switch it on or off',
  'channels:read': 'see message channels and templates',
  'channels:write': 'set up message channels and templates, send test messages',
  'messages:read': 'the message log and delivery statistics',
  'consents:write': 'record a customer\'s consent decision on their behalf (audited)',
  'privacy:read': 'see data-subject requests',
  'privacy:write': 'file, fulfil and reject data-subject requests (access copies, corrections, erasure)',
  'settings:read': 'see brand settings',
  'settings:write': 'change brand settings',
  'ingest:write': 'send Segment-compatible events (write keys)',
  'users:read': 'list users and roles',
  'users:write': 'create and change users, their roles and data scopes, and brand roles',
  'keys:read': 'list API keys',
  'keys:write': 'create and revoke API keys',
  'audit:read': 'read and verify the audit log',
  admin: 'everything',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_CODES = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(code: string): code is Permission {
  return Object.hasOwn(PERMISSIONS, code);
}

/** A role: a named set of permissions. Built-in roles are defined here; brands add their own (roles table). */
export interface RoleDefinition {
  name: string;
  label: string;
  permissions: Permission[];
  isBuiltIn: boolean;
}

const READ: Permission[] = ['customers:read', 'segments:read', 'layers:read', 'predictions:read', 'recommendations:read', 'analytics:read', 'journeys:read', 'coupons:read', 'points:read', 'loyalty:read', 'jobs:read', 'settings:read'];

/** The five built-in roles (docs/security.md has the table). They cannot be changed or deleted. */
export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  { name: 'admin', label: '管理员 administrator', permissions: ['admin'], isBuiltIn: true },
  {
    name: 'operator',
    label: '运营 operator: journeys, coupons, segments',
    permissions: [...READ, 'customers:tag', 'segments:write', 'segments:export', 'layers:compute', 'journeys:write', 'coupons:write', 'points:write', 'loyalty:write', 'recommendations:write', 'jobs:run', 'channels:read', 'channels:write', 'messages:read', 'consents:write'],
    isBuiltIn: true,
  },
  { name: 'analyst', label: '分析师 analyst: read, export without personal data', permissions: [...READ, 'segments:export', 'messages:read'], isBuiltIn: true },
  { name: 'service', label: '客服 customer service: look up one customer, reveal personal data with a reason', permissions: ['customers:read', 'customers:read_pii', 'customers:tag', 'recommendations:read', 'messages:read', 'consents:write', 'privacy:read', 'privacy:write'], isBuiltIn: true },
  { name: 'viewer', label: '只读 viewer', permissions: READ, isBuiltIn: true },
];

/** Whether a set of granted permissions includes `needed` (`admin` includes every permission). */
export function grants(granted: ReadonlySet<Permission> | readonly Permission[], needed: Permission): boolean {
  const has = (p: Permission) => (Array.isArray(granted) ? granted.includes(p) : (granted as ReadonlySet<Permission>).has(p));
  return has(needed) || has('admin');
}
