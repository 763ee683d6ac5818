import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { blindIndex, configureMasterKey, decryptJson, decryptText, forgetKeyRing, getConsents, keyRingFor, listDataKeys, recordConsents, registerEncryptedColumn, rotateDataKey, tokenKeyId, type EncryptedColumn, type KeyRing } from '../../src/privacy/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

// A table of the test's own with a text column and a JSON column, keyed by two columns, one of them numeric.
const NOTES: EncryptedColumn = { table: 'rotation_notes', column: 'note', keyColumns: ['shop', 'seq'], keyTypes: { seq: 'BIGINT' }, kind: 'text' };
const DOCS: EncryptedColumn = { table: 'rotation_notes', column: 'doc', keyColumns: ['shop', 'seq'], keyTypes: { seq: 'BIGINT' }, kind: 'json' };
registerEncryptedColumn(NOTES);
registerEncryptedColumn(DOCS);

async function fill(store: Store, ring: KeyRing, from: number, to: number): Promise<void> {
  const rows: unknown[][] = [];
  for (let i = from; i < to; i++) {
    const shop = `s${i % 3}`;
    const row = `${shop}/${i}`;
    // Row 5 was written before encryption: plaintext, which rotation encrypts too.
    rows.push([shop, i, i === 5 ? `顾客 ${i}` : ring.encrypt(`顾客 ${i}`, { table: NOTES.table, column: NOTES.column, row }), JSON.stringify({ tier: 'gold', phone: `+86138000000${String(i).padStart(2, '0')}`, address: { city: '上海' } }).replace(/"phone":"[^"]+"/, (m) => (i % 2 ? m : `"phone":"${ring.encrypt(JSON.stringify(`+86138000000${String(i).padStart(2, '0')}`), { table: DOCS.table, column: 'doc.phone', row })}"`))]);
  }
  await store.insertRows('rotation_notes', ['shop', 'seq', 'note', 'doc'], rows);
}

async function readAll(store: Store, ring: KeyRing): Promise<{ notes: string[]; phones: string[]; keys: Set<string> }> {
  const rows = await store.query<{ shop: string; seq: number; note: string; doc: unknown }>('SELECT shop, seq, note, CAST(doc AS TEXT) AS doc FROM rotation_notes ORDER BY seq');
  const keys = new Set<string>();
  for (const r of rows) {
    keys.add(tokenKeyId(r.note) ?? 'plain');
    for (const m of String(r.doc).matchAll(/"(e1:[^"]+)"/g)) keys.add(tokenKeyId(m[1]!)!);
  }
  return {
    notes: rows.map((r) => decryptText(ring, NOTES, `${r.shop}/${r.seq}`, r.note)),
    phones: rows.map((r) => (decryptJson(ring, DOCS, `${r.shop}/${r.seq}`, JSON.parse(String(r.doc))) as { phone: string }).phone),
    keys,
  };
}

for (const backend of BACKENDS) {
  describe(`data key rotation on ${backend}`, () => {
    test('re-encrypts every registered column under a new key in batches, while rows keep arriving, and reads everything back', () =>
      withStore(backend, async (store) => {
        configureMasterKey(store, { masterKey: randomBytes(32) });
        await store.execute('CREATE TABLE rotation_notes (shop TEXT NOT NULL, seq BIGINT NOT NULL, note TEXT, doc JSON, PRIMARY KEY (shop, seq))');
        const before = await keyRingFor(store);
        await fill(store, before, 0, 23);
        await store.insertRows('customers', ['customer_id', 'created_at', 'updated_at'], [['c1', new Date(), new Date()]]);
        await recordConsents(store, [{ customerId: 'c1', purpose: 'sms_marketing', status: 'granted', source: 'api', evidence: '纸质同意书 #7' }], before);
        const expected = await readAll(store, before);
        const bi = blindIndex(before.indexKey, 'phone', '+8613800000001');

        let batches = 0;
        const report = await rotateDataKey(store, {
          batchSize: 4,
          graceMs: 0,
          onProgress: async () => {
            // A writer that still holds the old ring keeps writing during the rotation; the final sweep catches it.
            if (batches++ === 2) await fill(store, before, 23, 25);
          },
        });
        assert.equal(report.resumed, false);
        assert.ok(report.columns.find((c) => c.table === 'consent_entries')!.rowsChanged === 1);
        assert.deepEqual(report.retiredKeys, [before.activeKeyId]);

        forgetKeyRing(store);
        const after = await keyRingFor(store);
        assert.equal(after.activeKeyId, report.toKeyId);
        const read = await readAll(store, after);
        assert.deepEqual(read.keys, new Set([report.toKeyId]), 'every value, plaintext and late writes included, is under the new key');
        assert.deepEqual(read.notes.slice(0, 23), expected.notes);
        assert.deepEqual(read.phones.slice(0, 23), expected.phones);
        assert.equal(read.notes.length, 25);
        assert.equal((await getConsents(store, 'c1', after)).history[0]!.evidence, '纸质同意书 #7');
        assert.equal(blindIndex(after.indexKey, 'phone', '+8613800000001'), bi, 'blind indexes do not change');
        assert.ok(after.hasKey(before.activeKeyId), 'a retired key stays readable, for backups made before');
        assert.deepEqual((await listDataKeys(store)).filter((k) => k.kind === 'data').map((k) => [k.keyId === report.toKeyId, k.isActive, k.retiredAt !== null]).sort(), [[false, false, true], [true, true, false]]);

        const [{ docs }] = (await store.query<{ docs: number }>(`SELECT count(*) AS docs FROM rotation_notes WHERE CAST(doc AS TEXT) LIKE '%"e1:%'`)) as [{ docs: number }];
        const again = await rotateDataKey(store, { graceMs: 0 });
        assert.equal(again.rowsChanged, 25 + Number(docs) + 1, 'a second rotation moves every encrypted value again, and only those');
        const plain = await rotateDataKey(store, { graceMs: 0, encryptPlaintext: true });
        assert.equal(plain.columns.find((c) => c.column === 'doc')!.rowsChanged, 25, 'encryptPlaintext also seals the phones written in clear');
        forgetKeyRing(store);
        assert.deepEqual((await readAll(store, await keyRingFor(store))).phones, read.phones);
      }));

    test('an interrupted rotation resumes with the same key, and changes nothing it already did', () =>
      withStore(backend, async (store) => {
        configureMasterKey(store, { masterKey: randomBytes(32) });
        await store.execute('CREATE TABLE rotation_notes (shop TEXT NOT NULL, seq BIGINT NOT NULL, note TEXT, doc JSON, PRIMARY KEY (shop, seq))');
        await fill(store, await keyRingFor(store), 0, 12);
        let calls = 0;
        await assert.rejects(
          rotateDataKey(store, {
            batchSize: 3,
            graceMs: 0,
            onProgress: () => {
              if (++calls === 2) throw new Error('the process was stopped');
            },
          }),
          /the process was stopped/,
        );
        const resumed = await rotateDataKey(store, { batchSize: 3, graceMs: 0 });
        assert.equal(resumed.resumed, true);
        forgetKeyRing(store);
        const ring = await keyRingFor(store);
        assert.equal(ring.activeKeyId, resumed.toKeyId);
        const read = await readAll(store, ring);
        assert.deepEqual(read.keys, new Set([resumed.toKeyId]));
        assert.equal(read.notes[7], '顾客 7');
      }));
  });
}
