import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { blindIndex, blindIndexSql, configureMasterKey, decryptJson, encryptJson, hmacPads, isToken, KeyRing, keyRingFor, listDataKeys, loadMasterKey, normaliseIdentifier, parseMasterKey, type EncryptedColumn } from '../../src/privacy/index.ts';
import { migrate, openStore } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const errorCode = (code: string) => (e: unknown) => isSiyuError(e) && e.code === code;

describe('master key', () => {
  const cases: [title: string, text: string, ok: boolean][] = [
    ['64 hex digits', 'ab'.repeat(32), true],
    ['base64 of 32 bytes', randomBytes(32).toString('base64'), true],
    ['base64url of 32 bytes', randomBytes(32).toString('base64url'), true],
    ['16 bytes is too short', randomBytes(16).toString('base64'), false],
    ['a passphrase is not a key', 'correct horse battery staple', false],
  ];
  for (const [title, text, ok] of cases) {
    test(`parses or refuses: ${title}`, () => {
      if (ok) assert.equal(parseMasterKey(text, 'SIYU_MASTER_KEY').length, 32);
      else assert.throws(() => parseMasterKey(text, 'SIYU_MASTER_KEY'), (e: unknown) => isSiyuError(e) && e.code === 'invalid_master_key' && e.message.startsWith('SIYU_MASTER_KEY must hold a 32-byte key'));
    });
  }

  test('an embedded store gets a 0600 key file beside it on first open, with a warning; PostgreSQL needs one given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siyu-key-'));
    try {
      const location = join(dir, 'brand.duckdb');
      const warnings: string[] = [];
      const created = loadMasterKey(location, { env: {}, warn: (m) => warnings.push(m) });
      assert.equal(created.origin, 'created');
      assert.equal(statSync(`${location}.key`).mode & 0o777, 0o600);
      assert.match(warnings.join(''), /BACK IT UP NOW/);
      const again = loadMasterKey(location, { env: {} });
      assert.deepEqual([again.origin, again.key.equals(created.key)], ['file', true]);
      rmSync(`${location}.key`);
      assert.throws(() => loadMasterKey(location, { env: {}, mayCreate: false }), errorCode('master_key_missing'));
      assert.throws(() => loadMasterKey('postgres://x@localhost/db', { env: {} }), errorCode('master_key_required'));
      const env = { SIYU_MASTER_KEY: 'cd'.repeat(32) };
      assert.equal(loadMasterKey('postgres://x@localhost/db', { env }).key.toString('hex'), 'cd'.repeat(32));
      writeFileSync(join(dir, 'k'), 'not a key');
      assert.throws(() => loadMasterKey('postgres://x@localhost/db', { env: {}, keyFile: join(dir, 'k') }), (e: unknown) => isSiyuError(e) && e.message.startsWith(join(dir, 'k')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('blind indexes', () => {
  test('equal identifiers in any written form get one index; types and keys separate them', () => {
    const key = randomBytes(32);
    const phone = (raw: string) => blindIndex(key, 'phone', normaliseIdentifier('phone', raw));
    assert.equal(phone('138 0013 8000'), phone('+86 13800138000'));
    assert.equal(phone('8613800138000'), phone('13800138000'));
    assert.notEqual(phone('13800138001'), phone('13800138000'));
    assert.notEqual(blindIndex(key, 'member_no', '13800138000'), blindIndex(key, 'phone', '13800138000'));
    assert.notEqual(blindIndex(randomBytes(32), 'phone', '+8613800138000'), phone('13800138000'));
    assert.equal(blindIndex(key, 'email', normaliseIdentifier('email', ' Wang.Fang@Example.COM ')), blindIndex(key, 'email', 'wang.fang@example.com'));
    assert.match(phone('13800138000'), /^b1:[0-9a-f]{32}$/);
    assert.throws(() => normaliseIdentifier('phone', '12', 'rows[3].phone'), (e: unknown) => isSiyuError(e) && e.details[0]?.path === 'rows[3].phone');
  });

  for (const backend of BACKENDS) {
    test(`the engine computes the same index as JavaScript on ${backend}`, () =>
      withStore(backend, async (store) => {
        const key = randomBytes(32);
        const { inner, outer } = hmacPads(key);
        const values = ['+8613800138000', 'wang.fang@example.com', '王芳', 'x'.repeat(200)];
        const rows = await store.query<{ v: string; b: string }>(
          `SELECT v, ${blindIndexSql(store.kind, "'phone'", 'v', '$1', '$2')} AS b FROM (SELECT unnest(ARRAY[${values.map((_, i) => `$${i + 3}`).join(', ')}]) AS v) t`,
          [inner, outer, ...values],
        );
        for (const row of rows) assert.equal(row.b, blindIndex(key, 'phone', row.v), row.v);
      }));
  }
});

const EVIDENCE: EncryptedColumn = { table: 'consent_entries', column: 'evidence', keyColumns: ['entry_id'], kind: 'text' };

for (const backend of BACKENDS) {
  describe(`field encryption on ${backend}`, () => {
    test('values round-trip, bound to their row and column; a wrong key, an altered value or a moved value fail clearly', () =>
      withStore(backend, async (store) => {
        const master = randomBytes(32);
        configureMasterKey(store, { masterKey: master });
        const ring = await keyRingFor(store);
        const place = { table: 'customers', column: 'phone', row: 'c1' };
        const token = ring.encrypt('+8613800138000', place);
        assert.ok(isToken(token) && !token.includes('138001'));
        assert.notEqual(ring.encrypt('+8613800138000', place), token, 'a fresh IV each time');
        assert.equal(ring.decrypt(token, place), '+8613800138000');
        assert.throws(() => ring.decrypt(token, { ...place, row: 'c2' }), (e: unknown) => isSiyuError(e) && e.code === 'decrypt_failed' && /customers\.phone of row "c2".*copied from another row/.test(e.message));
        assert.throws(() => ring.decrypt(token, { ...place, column: 'email' }), errorCode('decrypt_failed'));
        const altered = token.slice(0, -3) + (token.at(-3) === 'A' ? 'B' : 'A') + token.slice(-2);
        assert.throws(() => ring.decrypt(altered, place), errorCode('decrypt_failed'));
        assert.throws(() => ring.decrypt(token.replace(/^e1:d[0-9a-f]{15}/, 'e1:d000000000000000'), place), errorCode('unknown_data_key'));

        const doc = { traits: { phone: '+8613800138000', address: { city: '上海', street: '南京路 1 号' }, plan: 'gold' }, items: [{ name: '王芳' }] };
        const column: EncryptedColumn = { table: 'events', column: 'context', keyColumns: ['message_id'], kind: 'json' };
        const sealed = encryptJson(ring, column, 'm1', doc) as typeof doc;
        assert.equal(sealed.traits.plan, 'gold', 'only PII keys are encrypted');
        assert.ok(isToken(sealed.traits.phone) && isToken(sealed.traits.address) && isToken(sealed.items[0]!.name));
        assert.deepEqual(decryptJson(ring, column, 'm1', sealed), doc);
        const swapped = { ...sealed, traits: { ...sealed.traits, phone: sealed.items[0]!.name } };
        assert.throws(() => decryptJson(ring, column, 'm1', swapped), errorCode('decrypt_failed'));

        // The same store opened with another master key: named as the wrong key, not as corrupt data.
        assert.ok((await listDataKeys(store)).some((k) => k.kind === 'index'));
        await assert.rejects(KeyRing.open(store, { key: randomBytes(32), origin: 'env' }), (e: unknown) => isSiyuError(e) && e.code === 'wrong_master_key' && /from env/.test(e.message));
        void EVIDENCE;
      }));
  });
}

test('an embedded store keeps its key file across reopenings and refuses to start without it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'siyu-keyfile-'));
  const location = join(dir, 'brand.duckdb');
  const saved = { key: process.env.SIYU_MASTER_KEY, file: process.env.SIYU_MASTER_KEY_FILE };
  delete process.env.SIYU_MASTER_KEY;
  delete process.env.SIYU_MASTER_KEY_FILE;
  const stderr = process.stderr.write;
  try {
    process.stderr.write = (() => true) as typeof process.stderr.write; // the back-up warning
    let store = await openStore(location);
    await migrate(store);
    const token = (await keyRingFor(store)).encrypt('王芳', { table: 't', column: 'c', row: '1' });
    await store.close();
    assert.ok(existsSync(`${location}.key`));
    const keyText = readFileSync(`${location}.key`, 'utf8');
    store = await openStore(location);
    assert.equal((await keyRingFor(store)).decrypt(token, { table: 't', column: 'c', row: '1' }), '王芳');
    await store.close();
    rmSync(`${location}.key`);
    store = await openStore(location);
    await assert.rejects(keyRingFor(store), errorCode('master_key_missing'));
    assert.ok(!existsSync(`${location}.key`), 'no new key is made for a store that holds data under the old one');
    writeFileSync(`${location}.key`, keyText);
    configureMasterKey(store, {});
    assert.equal((await keyRingFor(store)).decrypt(token, { table: 't', column: 'c', row: '1' }), '王芳');
    await store.close();
  } finally {
    process.stderr.write = stderr;
    if (saved.key !== undefined) process.env.SIYU_MASTER_KEY = saved.key;
    if (saved.file !== undefined) process.env.SIYU_MASTER_KEY_FILE = saved.file;
    rmSync(dir, { recursive: true, force: true });
  }
});
