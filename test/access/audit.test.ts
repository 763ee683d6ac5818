import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditHash, canonicalJson, listAudit, recordAudit, verifyAudit } from '../../src/access/index.ts';
import { migrate, openStore } from '../../src/store/index.ts';
import { BACKENDS, freshLocation, withStore } from '../helpers/backends.ts';
import { runCli } from './helpers.ts';

test('canonical JSON sorts keys at every level, so equal values hash alike whatever their key order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: 'x' } }), '{"a":{"c":"x","d":[2,{"y":null,"z":1}]},"b":1}');
  const row = { seq: 1, at: new Date('2026-07-01T00:00:00.123Z'), actor: 'user:a', action: 'x.y', target: null, details: '{}', prevHash: '0'.repeat(64) };
  assert.match(auditHash(row), /^[0-9a-f]{64}$/);
  assert.notEqual(auditHash(row), auditHash({ ...row, prevHash: '1'.repeat(64) }), 'the previous hash is part of the hash');
});

for (const backend of BACKENDS) {
  describe(`audit log on ${backend}`, () => {
    test('appends chain each row to the one before, commit or roll back with the caller, and list by actor, action and time', () =>
      withStore(backend, async (store) => {
        const first = await recordAudit(store, { actor: 'user:wang', action: 'auth.sign_in', target: 'wang', details: { ip: '10.0.0.1' } });
        const second = await recordAudit(store, { actor: 'key:AbCdEfGh', action: 'segment.export', target: '高价值', details: { rows: 3, fields: ['phone'] } });
        assert.deepEqual([first.seq, second.seq], [1, 2]);
        assert.equal(first.prevHash, '0'.repeat(64));
        assert.equal(second.prevHash, first.hash);
        await assert.rejects(
          store.transaction(async (tx) => {
            await recordAudit(tx, { actor: 'user:wang', action: 'role.update', target: 'x' });
            throw new Error('the change it records failed');
          }),
        );
        const third = await recordAudit(store, { actor: 'cli:root', action: 'auth.sign_out', target: 'wang' });
        assert.equal(third.seq, 3, 'a rolled-back entry leaves no gap');
        assert.deepEqual((await listAudit(store)).map((e) => e.seq), [3, 2, 1]);
        assert.deepEqual((await listAudit(store, { action: 'auth.' })).map((e) => e.action), ['auth.sign_out', 'auth.sign_in']);
        assert.deepEqual((await listAudit(store, { actor: 'key:AbCdEfGh' }))[0]!.details, { fields: ['phone'], rows: 3 });
        assert.equal((await listAudit(store, { since: new Date(Date.now() + 60_000) })).length, 0);
        assert.deepEqual(await verifyAudit(store), { ok: true, rows: 3, head: { seq: 3, hash: third.hash } });
      }));

    test('verify names the first modified row, a deleted row and rows deleted from the end; siyu audit verify exits non-zero', () =>
      withStore(backend, async (store) => {
        for (let i = 1; i <= 5; i++) await recordAudit(store, { actor: 'user:li', action: 'customer.reveal_pii', target: `c${i}`, details: { reason: `ticket ${i}` } });
        const intact = await runCli(store, ['audit', 'verify']);
        assert.equal(intact.exitCode, 0);
        assert.match(intact.stdout, /audit chain intact: 5 rows/);

        await store.execute(`UPDATE audit_log SET details = '{"reason":"nothing to see"}' WHERE seq = 3`);
        const modified = await verifyAudit(store);
        assert.deepEqual([modified.ok, modified.broken?.seq], [false, 3]);
        assert.match(modified.broken!.problem, /does not match its hash/);
        const cli = await runCli(store, ['audit', 'verify']);
        assert.equal(cli.exitCode, 4);
        assert.match(cli.stderr, /audit chain broken at row 3/);

        // Rewriting the row's hash too moves the break to the next row, whose link no longer matches.
        const [row3] = await store.query<{ seq: number; recorded_at: Date; actor: string; action: string; target: string; details: string; prev_hash: string }>('SELECT * FROM audit_log WHERE seq = 3');
        const forged = auditHash({ seq: 3, at: row3!.recorded_at, actor: row3!.actor, action: row3!.action, target: row3!.target, details: row3!.details, prevHash: row3!.prev_hash });
        await store.execute('UPDATE audit_log SET hash = $1 WHERE seq = 3', [forged]);
        const relinked = await verifyAudit(store);
        assert.deepEqual([relinked.ok, relinked.broken?.seq], [false, 4]);
        assert.match(relinked.broken!.problem, /prev_hash does not match row 3/);

        await store.execute(`UPDATE audit_log SET details = '{"reason":"ticket 3"}' WHERE seq = 3`);
        await store.execute('UPDATE audit_log SET hash = (SELECT prev_hash FROM audit_log WHERE seq = 4) WHERE seq = 3');
        assert.equal((await verifyAudit(store)).ok, true, 'restored');

        await store.execute('DELETE FROM audit_log WHERE seq = 2');
        const deleted = await verifyAudit(store);
        assert.deepEqual([deleted.ok, deleted.broken?.seq], [false, 2]);
        assert.match(deleted.broken!.problem, /row 2 missing/);
        assert.match((await runCli(store, ['audit', 'verify'])).stderr, /broken at row 2: row 2 missing/);
        await store.execute('DELETE FROM audit_log WHERE seq = 1');
        assert.match((await verifyAudit(store)).broken!.problem, /row 1–2 missing/);
      }));

    test('rows deleted from the end are caught by the head', () =>
      withStore(backend, async (store) => {
        for (let i = 1; i <= 4; i++) await recordAudit(store, { actor: 'system', action: 'settings.update', target: 'access' });
        await store.execute('DELETE FROM audit_log WHERE seq >= 3');
        const truncated = await verifyAudit(store);
        assert.deepEqual([truncated.ok, truncated.rows, truncated.broken?.seq], [false, 2, 3]);
        assert.match(truncated.broken!.problem, /row 3–4 missing \(deleted from the end\?\)/);
      }));

    test('concurrent appends, from two store handles as from two server processes, never fork the chain', async () => {
      const { location, cleanup } = freshLocation(backend);
      const store = await openStore(location);
      try {
        await migrate(store);
        // On PostgreSQL a second store is a second pool, like another process; on DuckDB one process owns the file.
        const other = backend === 'postgres' ? await openStore(location) : store;
        try {
          const append = (s: typeof store, who: string, n: number) => Promise.all(Array.from({ length: n }, (_, i) => recordAudit(s, { actor: who, action: 'test.append', target: String(i) })));
          const [a, b] = await Promise.all([append(store, 'user:a', 25), append(other, 'user:b', 25)]);
          const seqs = [...a, ...b].map((e) => e.seq).sort((x, y) => x - y);
          assert.deepEqual(seqs, Array.from({ length: 50 }, (_, i) => i + 1), 'every append got its own place');
          const verified = await verifyAudit(store);
          assert.deepEqual([verified.ok, verified.rows], [true, 50]);
        } finally {
          if (other !== store) await other.close();
        }
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}
