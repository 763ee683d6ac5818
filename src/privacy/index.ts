// The privacy domain's public API: encryption of personal data and blind indexes, the key ring and its rotation,
// the consent ledger, data-subject requests and retention (docs/privacy.md).
export { KEY_BYTES, keyFileFor, loadMasterKey, masterKeyCheck, parseMasterKey, type MasterKey, type MasterKeyOptions, type MasterKeyOrigin } from '../store/index.ts';
export { configureMasterKey, forgetKeyRing, INDEX_KEY_ID, isToken, KEY_REFRESH_MS, KeyRing, keyRingFor, listDataKeys, masterKeyFor, tokenKeyId, TOKEN_PREFIX, type DataKeyInfo, type FieldPlace } from '../store/index.ts';
export { BLIND_PREFIX, blindIndex, blindIndexSql, hmacPads, isBlindIndex, normaliseIdentifier, PERSONAL_IDENTIFIER_TYPES } from './blind-index.ts';
export { decryptJson, decryptText, encryptJson, EVENT_PII_JSON_KEYS, encryptText, findEncryptedColumn, listEncryptedColumns, openPii, PII_JSON_KEYS, registerEncryptedColumn, rowKey, SEALED_PROFILE_COLUMNS, sealPii, type EncryptedColumn } from './fields.ts';
export { identityValue, lookupValue, storedIdentifier } from './pii.ts';
export { sealExistingPersonalData, type SealReport } from './seal-existing.ts';
export { rotateDataKey, type RotateOptions, type RotationReport } from './rotate.ts';
export { assertPurposeId, BUILTIN_PURPOSES, CONSENT_STATUSES, definePurpose, getPurposes, listPurposes, type ConsentBasis, type ConsentStatus, type DefinePurposeInput, type Purpose } from './purposes.ts';
export { canonicalCustomer, checkConsent, consentAllowsSql, getConsents, reachableSql, REACHABLE_CHANNELS, rebuildConsentState, recordConsents, type ConsentDecision, type ConsentEntry, type PurposeConsent, type ReachableChannel, type RecordReport } from './consent.ts';
export { applyConsentFromMessages, carriesConsent, CONSENT_EVENTS, decisionsOf, grantsConsent, LEGACY_PERSONALISATION_TRAIT, type ConsentMessage } from './consent-ingest.ts';
export { activeTombstones, CUSTOMER_ID_TYPE, hasTombstones, holdTombstoned, listQuarantine, tombstonedIdentifiers, type IdentifiedMessage } from './tombstones.ts';
export { encryptBatch, encryptBatchParallel, stopEncryptionThreads, type ColumnBatch, type EncryptedBatch } from './bulk.ts';
export { CUSTOMER_REFERENCES, listCustomerTables, personIds, setErasurePolicy, type CustomerTable, type ErasurePolicy } from './customer-tables.ts';
export { collectPersonalData, csvCell, writeBundle, type AccessBundle } from './bundle.ts';
export { eraseCustomer, type ErasureReport } from './erase.ts';
export { CorrectionChanges, applyCorrection } from './correct.ts';
export { DEFAULT_DUE_WORKING_DAYS, dueDate, isWorkingDay, localDate, readRequestCalendar, type RequestCalendar } from './due-date.ts';
export { createRequest, CreateRequestInput, fulfilRequest, getRequest, listRequests, rejectRequest, REQUEST_STATUSES, REQUEST_TYPES, type FulfilOptions, type PrivacyRequest, type RequestStatus, type RequestType } from './requests.ts';
export { applyRetention, listRetentionPolicies, setRetentionPolicy, type RetentionPolicy, type RetentionResult } from './retention.ts';
export { importConsents, parseCsv, type ConsentImportReport, type ConsentReject } from './consent-import.ts';
