import { z } from 'zod';
import { component } from './components.ts';
import { DataScope, PermissionCode } from '../../access/index.ts';

// Response shapes of the user, role, API key and audit routes (src/access: users.ts, roles.ts, api-keys.ts,
// audit.ts), which the OpenAPI document, and so the console's generated client, carries. None carries a password
// hash, a TOTP secret or a key's hash; a key itself only in the answer that creates it.

export const User = component('User', z.object({
  userId: z.string(),
  username: z.string(),
  displayName: z.string().nullable(),
  roles: z.array(z.string()),
  dataScope: DataScope,
  isDisabled: z.boolean(),
  hasTotp: z.boolean().describe('whether a second factor is enabled'),
  createdAt: z.date(),
  updatedAt: z.date(),
}));

export const Role = component('Role', z.object({ name: z.string(), label: z.string(), permissions: z.array(PermissionCode), isBuiltIn: z.boolean() }));

export const Roles = z.object({ roles: z.array(Role), permissions: z.array(z.object({ code: PermissionCode, description: z.string() })).describe('every permission code') });

export const ApiKey = component('ApiKey', z.object({
  keyId: z.string().describe('the 8 characters after syk_, how listings and logs name the key'),
  name: z.string(),
  scopes: z.array(PermissionCode),
  dataScope: DataScope,
  createdAt: z.date(),
  createdBy: z.string().nullable(),
  expiresAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  revokedBy: z.string().nullable(),
}));

export const AuditEntry = z.object({
  seq: z.number().int(),
  at: z.date(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string().describe('SHA-256 over the row and prevHash: the chain /v1/audit/verify recomputes'),
});

export const AuditVerification = z.object({
  ok: z.boolean(),
  rows: z.number().int().describe('rows checked'),
  head: z.object({ seq: z.number().int(), hash: z.string() }).describe('the last row: keep it elsewhere to detect a rewrite of the whole chain'),
  broken: z.object({ seq: z.number().int(), problem: z.string() }).optional().describe('the first problem found'),
});
