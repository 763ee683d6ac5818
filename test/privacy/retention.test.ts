import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { applyRetention, checkConsent, configureMasterKey, getConsents, importConsents, listRetentionPolicies, parseCsv, setRetentionPolicy } from '../../src/privacy/index.ts';
import type { Store } from '../../src/store/index.ts';
import { recordAudit, verifyAudit } from '../../src/access/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { randomBytes } from 'node:crypto';

const DAY = 86_400_000;

async function events(store: Store, now: Date, ages: number[]): Promise<void> {
  await store.insertRows('events', ['customer_id', 'message_id', 'type', 'ts', 'received_at'], ages.map((d, i) => ['c1', `m${i}`, 'track', new Date(now.getTime() - d * DAY), now]));
  await store.insertRows('inbox_failures', ['seq', 'message_id', 'message', 'source', 'received_at', 'error', 'failed_at'], ages.map((d, i) => [i, `f${i}`, '{}', 'test', now, 'bug', new Date(now.getTime() - d * DAY)]));
}

for (const backend of BACKENDS) {
  describe(`retention on ${backend}`, () => {
    test('each table keeps rows for its own period as of the clock given; the audit chain is trimmed from its start and still verifies', () =>
      withStore(backend, async (store) => {
        const now = new Date('2028-06-30T00:00:00Z');
        await events(store, now, [1, 29, 31, 729, 731, 2000]);
        for (const [i, days] of [1200, 1100, 10].entries()) await recordAudit(store, { actor: 'test', action: `a${i}`, at: new Date(now.getTime() - days * DAY) });
        const policies = Object.fromEntries((await listRetentionPolicies(store)).map((p) => [p.table, p.keepDays]));
        assert.deepEqual(policies, { audit_log: 1095, events: 730, inbox: 30, inbox_failures: 30, privacy_quarantine: 30 });

        const results = await applyRetention(store, now);
        const by = Object.fromEntries(results.map((r) => [r.table, r]));
        assert.deepEqual([by.events!.deleted, by.inbox_failures!.deleted, by.audit_log!.deleted], [2, 4, 2]);
        const verified = await verifyAudit(store);
        assert.deepEqual([verified.ok, verified.rows], [true, 1], 'the row kept still verifies, its predecessors gone');
        assert.equal(by.events!.cutoff!.toISOString(), '2026-07-01T00:00:00.000Z');
        assert.deepEqual((await store.query<{ message_id: string }>('SELECT message_id FROM events ORDER BY message_id')).map((r) => r.message_id), ['m0', 'm1', 'm2', 'm3']);
        assert.equal((await applyRetention(store, now)).reduce((s, r) => s + r.deleted, 0), 0, 'applying again deletes nothing more');

        // A day later by the clock, the 29-day-old failure is 30 days old: still kept; at 31 it goes.
        assert.equal((await applyRetention(store, new Date(now.getTime() + 2 * DAY))).find((r) => r.table === 'inbox_failures')!.deleted, 1);
        await setRetentionPolicy(store, { table: 'events', timeColumn: 'ts', keepDays: 10, isEnabled: false });
        assert.equal((await applyRetention(store, now)).find((r) => r.table === 'events')!.skipped, 'disabled');
        await assert.rejects(setRetentionPolicy(store, { table: 'events', timeColumn: 'when', keepDays: 10, isEnabled: true }), (e: unknown) => isSiyuError(e) && e.details[0]?.path === 'timeColumn');
        await assert.rejects(setRetentionPolicy(store, { table: 'events', timeColumn: 'ts', keepDays: 0, isEnabled: true }), (e: unknown) => isSiyuError(e) && e.code === 'invalid_retention');
      }));

    test('`siyu import consents` records valid rows and keeps every bad one with its line and reason', () =>
      withStore(backend, async (store) => {
        configureMasterKey(store, { masterKey: randomBytes(32) });
        const now = new Date();
        await store.insertRows('customers', ['customer_id', 'merged_into', 'created_at', 'updated_at'], [['c1', null, now, now], ['c2', null, now, now], ['old', 'c2', now, now]]);
        const dir = mkdtempSync(join(tmpdir(), 'siyu-consents-'));
        try {
          const file = join(dir, 'consents.csv');
          writeFileSync(file, '\uFEFFcustomer_id,purpose,status,effective_at,text_version,evidence\nc1,sms_marketing,granted,2026-01-01T00:00:00Z,v3,"门店 12, 纸质表单"\nold,email_marketing,granted,,,\nc1,sms_marketing,maybe,,,\nnobody,sms_marketing,granted,,,\nc2,fax,granted,,,\nc2,wecom_message,granted,yesterday,,\n');
          const report = await importConsents(store, file);
          assert.deepEqual([report.rows, report.recorded, report.rejected.map((r) => [r.line, r.path])], [6, 2, [[4, 'status'], [5, 'customer_id'], [6, 'purpose'], [7, 'effective_at']]]);
          assert.match(readFileSync(report.rejectsFile!, 'utf8'), /^line,field,reason\n4,status,/);
          assert.deepEqual((await checkConsent(store, 'email_marketing', ['c2'])).allowed, ['c2'], 'a merged id is followed');
          const c1 = await getConsents(store, 'c1', undefined);
          assert.deepEqual([c1.history[0]!.source, c1.history[0]!.textVersion, c1.history[0]!.evidence], ['import:consents.csv', 'v3', '(encrypted)']);
          assert.deepEqual((await importConsents(store, file)).recorded, 0, 'importing the same file again records nothing');
          writeFileSync(file, 'customer,purpose\nc1,sms_marketing\n');
          await assert.rejects(importConsents(store, file), (e: unknown) => isSiyuError(e) && e.code === 'missing_columns' && /customer_id, status/.test(e.message));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        assert.deepEqual(parseCsv('a,"b ""c""\nd",e\r\n\n1,2,3'), [{ line: 1, cells: ['a', 'b "c"\nd', 'e'] }, { line: 4, cells: ['1', '2', '3'] }]);
      }));
  });
}
