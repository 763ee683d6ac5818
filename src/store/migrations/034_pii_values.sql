-- Personal data at rest (docs/privacy.md). Identity values of type phone and email become blind indexes (b1:…), so
-- lookups and joins compare keyed hashes; the value itself is kept encrypted beside it. customers.phone, email and
-- name hold encrypted tokens (e1:…). A store with plaintext values from before is converted when it is next opened
-- by Siyu (privacy/seal-existing.ts), in one transaction.
ALTER TABLE identities ADD COLUMN secret TEXT;
