// Access control: who may call what, on which customers, and the record of what they did (docs/security.md).
export { PERMISSIONS, PERMISSION_CODES, BUILT_IN_ROLES, grants, isPermission, type Permission, type RoleDefinition } from './permissions.ts';
export { AccessSettings, ACCESS_SETTING_KEYS, ALL_CUSTOMERS, DataScope, Password, PermissionCode, Username } from './schemas.ts';
export { readAccessSettings, updateAccessSettings } from './settings.ts';
export { hashPassword } from './passwords.ts';
export { customerInScope, customerPredicate, dataScopePredicate, formatDataScope, parseDataScope, type CustomerPredicate, type SqlPredicate } from './data-scope.ts';
export { assertCan, assertCustomerVisible, can, localActor, principalActor, principalCustomerFilter, type Principal } from './principal.ts';
export { deleteRole, getRole, listRoles, permissionsOfRoles, saveRole, SaveRoleInput } from './roles.ts';
export { assignCustomers, createUser, CreateUserInput, ensureAdmin, findUser, generatePassword, getUser, listUsers, resetPassword, revokeUserSessions, updateUser, UpdateUserInput, type User } from './users.ts';
export { authenticateSession, csrfMatches, endSession, startSession, type ActiveSession, type NewSession } from './sessions.ts';
export { signIn, signOut, type SignInInput } from './sign-in.ts';
export { acceptTotp, beginTotpEnrolment, confirmTotp, openTotpSecret, resetTotp, sealPlainTotpSecrets, totpCode } from './totp.ts';
export { ApiKeyAuthenticator, createApiKey, CreateApiKeyInput, KEY_PREFIX, listApiKeys, parseExpiry, revokeApiKey, type ApiKey, type KeyCheck, type KeyRefusal } from './api-keys.ts';
export { auditHash, canonicalJson, listAudit, recordAudit, trimAudit, verifyAudit, type AuditEntry, type AuditInput, type AuditQuery, type AuditVerification } from './audit.ts';
