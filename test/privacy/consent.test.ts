import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { checkConsent, configureMasterKey, consentAllowsSql, definePurpose, getConsents, keyRingFor, reachableSql, recordConsents } from '../../src/privacy/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { previewSegment } from '../../src/segment/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { send } from '../ingest/helpers.ts';

const at = (iso: string) => new Date(iso);

async function customers(store: Store, ...ids: string[]): Promise<void> {
  const now = new Date();
  await store.insertRows('customers', ['customer_id', 'traits', 'created_at', 'updated_at'], ids.map((id) => [id, '{}', now, now]));
}

const allowed = async (store: Store, purpose: string, ids: string[]) => (await checkConsent(store, purpose, ids)).allowed;

for (const backend of BACKENDS) {
  describe(`consent ledger on ${backend}`, () => {
    test('opt-in purposes need a grant, opt-out ones hold until refused; the latest decision wins and repeats are not appended', () =>
      withStore(backend, async (store) => {
        configureMasterKey(store, { masterKey: randomBytes(32) });
        await customers(store, 'c1', 'c2', 'c3');
        assert.deepEqual(await allowed(store, 'sms_marketing', ['c1', 'c2', 'c3']), [], 'no SMS without consent');
        assert.deepEqual(await allowed(store, 'personalised_recommendation', ['c1', 'c2', 'c3']), ['c1', 'c2', 'c3'], 'art. 24: allowed until refused');

        const ring = await keyRingFor(store);
        const report = await recordConsents(store, [
          { customerId: 'c1', purpose: 'sms_marketing', status: 'granted', source: 'api', effectiveAt: at('2026-01-01T00:00:00Z'), textVersion: 'v1', evidence: '签字表单 #88 王芳' },
          { customerId: 'c2', purpose: 'sms_marketing', status: 'granted', source: 'api', effectiveAt: at('2026-01-01T00:00:00Z') },
          { customerId: 'c2', purpose: 'sms_marketing', status: 'withdrawn', source: 'api', effectiveAt: at('2026-02-01T00:00:00Z') },
          { customerId: 'c3', purpose: 'personalised_recommendation', status: 'denied', source: 'api' },
        ], ring);
        assert.deepEqual(report, { recorded: 4, unchanged: 0 });
        assert.deepEqual(await allowed(store, 'sms_marketing', ['c1', 'c2', 'c3']), ['c1']);
        assert.deepEqual(await allowed(store, 'personalised_recommendation', ['c1', 'c2', 'c3']), ['c1', 'c2']);

        // A late decision (older than the state) is kept in the ledger but does not override the newer one.
        const late = await recordConsents(store, [{ customerId: 'c2', purpose: 'sms_marketing', status: 'granted', source: 'import:old.csv', effectiveAt: at('2025-12-01T00:00:00Z') }]);
        assert.deepEqual([late.recorded, await allowed(store, 'sms_marketing', ['c2'])], [1, []]);
        assert.deepEqual(await recordConsents(store, [{ customerId: 'c1', purpose: 'sms_marketing', status: 'granted', source: 'api', textVersion: 'v1' }]), { recorded: 0, unchanged: 1 });

        const c1 = await getConsents(store, 'c1', ring);
        assert.equal(c1.history[0]!.evidence, '签字表单 #88 王芳', 'evidence decrypts');
        const [stored] = await store.query<{ evidence: string }>(`SELECT evidence FROM consent_entries WHERE customer_id = 'c1'`);
        assert.ok(!stored!.evidence.includes('王芳'), 'evidence is encrypted at rest');
        assert.equal((await getConsents(store, 'c1')).history[0]!.evidence, '(encrypted)');
        assert.deepEqual(c1.purposes.find((p) => p.purpose === 'sms_marketing'), { purpose: 'sms_marketing', name: 'Marketing SMS', basis: 'opt_in', status: 'granted', isAllowed: true, source: 'api', effectiveAt: at('2026-01-01T00:00:00Z'), textVersion: 'v1' });

        await assert.rejects(recordConsents(store, [{ customerId: 'c1', purpose: 'carrier_pigeon', status: 'granted', source: 'api' }]), (e: unknown) => isSiyuError(e) && e.code === 'unknown_purpose');
        await definePurpose(store, { purpose: 'carrier_pigeon', name: 'Pigeon post', basis: 'opt_in' });
        await recordConsents(store, [{ customerId: 'c3', purpose: 'carrier_pigeon', status: 'granted', source: 'api' }]);
        assert.deepEqual(await allowed(store, 'carrier_pigeon', ['c1', 'c3']), ['c3'], 'brand-defined purposes work the same way');
        assert.throws(() => consentAllowsSql("x' OR 1=1 --", 'c'), (e: unknown) => isSiyuError(e) && e.code === 'invalid_purpose');
      }));

    test('`reachable by SMS` needs both consent and a phone, as a predicate segments can use', () =>
      withStore(backend, async (store) => {
        await customers(store, 'c1', 'c2', 'c3');
        await store.insertRows('identities', ['type', 'value', 'customer_id', 'created_at'], [['phone', '+8613800000001', 'c1', new Date()], ['email', 'c2@example.com', 'c2', new Date()]]);
        await recordConsents(store, ['c1', 'c2'].map((customerId) => ({ customerId, purpose: 'sms_marketing', status: 'granted' as const, source: 'api' })));
        const rows = await store.query<{ customer_id: string }>(`SELECT customer_id FROM customers c WHERE ${reachableSql('sms', 'c.customer_id')} ORDER BY 1`);
        assert.deepEqual(rows.map((r) => r.customer_id), ['c1'], 'c2 consented but has no phone; c3 has neither');
        const members = async (definition: unknown) => (await previewSegment(store, definition, { asOf: '2026-12-01' })).sample.map((s) => s.customerId);
        assert.deepEqual(await members({ reachable: 'sms' }), ['c1'], 'the segment DSL asks the same');
        assert.deepEqual(await members({ reachable: 'sms', value: false }), ['c2', 'c3']);
        assert.deepEqual(await members({ all: [{ consent: 'sms_marketing' }, { not: { reachable: 'email' } }] }), ['c1', 'c2'], 'both allow SMS marketing; c2 has an email but no email consent, so it is not reachable by email');
        await recordConsents(store, [{ customerId: 'c1', purpose: 'sms_marketing', status: 'withdrawn', source: 'sms:reply' }]);
        assert.deepEqual(await members({ reachable: 'sms' }), [], 'a withdrawal applies at the next evaluation');
        await assert.rejects(previewSegment(store, { consent: 'no_such_purpose' }), /consent: unknown consent purpose "no_such_purpose"/);
      }));

    test('ingest records context.consent and Consent Updated in the ledger; repeats add nothing; a refusal after a grant is a withdrawal', () =>
      withStore(backend, async (store) => {
        await definePurpose(store, { purpose: 'sms_marketing', name: 'Marketing SMS', segmentCategory: 'Advertising' });
        await send(
          store,
          { type: 'identify', userId: 'u1', traits: { phone: '13800000001' }, context: { consent: { categoryPreferences: { Advertising: true, email_marketing: false, Analytics: true } } }, timestamp: '2026-03-01T00:00:00Z' },
          { type: 'track', userId: 'u1', event: 'Product Viewed', context: { consent: { categoryPreferences: { Advertising: true } } }, timestamp: '2026-03-02T00:00:00Z' },
        );
        let u1 = await getConsents(store, 'u1');
        const status = (purpose: string) => u1.purposes.find((p) => p.purpose === purpose)!.status;
        assert.deepEqual([status('sms_marketing'), status('email_marketing')], ['granted', 'denied'], 'Advertising maps to sms_marketing; a never-granted false is a denial; unknown categories are ignored');
        assert.equal(u1.history.length, 2, 'the repeated consent object on the second event records nothing');

        await send(store, { type: 'track', userId: 'u1', event: 'Consent Updated', properties: { purpose: 'sms_marketing', status: false, text_version: 'v2' }, timestamp: '2026-03-03T00:00:00Z' });
        u1 = await getConsents(store, 'u1');
        assert.deepEqual([status('sms_marketing'), u1.history[0]!.textVersion, u1.history[0]!.source], ['withdrawn', 'v2', 'event:test']);
        assert.deepEqual(await allowed(store, 'sms_marketing', ['u1']), []);

        // The old trait for refusing personalised recommendations still works, through the ledger.
        await send(store, { type: 'identify', userId: 'u2', traits: { personalized_recommendations: false } });
        assert.deepEqual(await allowed(store, 'personalised_recommendation', ['u1', 'u2']), ['u1']);
      }));

    test('when profiles merge, the survivor takes the latest decision of either', () =>
      withStore(backend, async (store) => {
        await send(store, { type: 'identify', anonymousId: 'a1', traits: { phone: '13800000009' }, context: { consent: { categoryPreferences: { sms_marketing: true } } }, timestamp: '2026-03-01T00:00:00Z' });
        await send(store, { type: 'identify', userId: 'u9', traits: { email: 'u9@example.com' }, context: { consent: { categoryPreferences: { sms_marketing: true } } }, timestamp: '2026-03-02T00:00:00Z' });
        await send(store, { type: 'track', anonymousId: 'a1', event: 'Consent Updated', properties: { purpose: 'sms_marketing', status: 'withdrawn' }, timestamp: '2026-03-03T00:00:00Z' });
        assert.deepEqual(await allowed(store, 'sms_marketing', ['u9', 'anon:a1']), ['u9']);
        await send(store, { type: 'identify', userId: 'u9', traits: { phone: '13800000009' }, timestamp: '2026-03-04T00:00:00Z' });
        assert.deepEqual(await allowed(store, 'sms_marketing', ['u9', 'anon:a1']), [], "the anonymous profile's later withdrawal wins after the merge");
      }));

    test('GET and PUT /v1/customers/:id/consents show and record decisions, with errors naming the field', () =>
      withStore(backend, async (store) => {
        configureMasterKey(store, { masterKey: randomBytes(32) });
        await customers(store, 'c1');
        const app = await buildServerAs(store);
        try {
          const put = await app.inject({ method: 'PUT', url: '/v1/customers/c1/consents', payload: { decisions: [{ purpose: 'wecom_message', status: 'granted', textVersion: '2026-01', evidence: 'form 12' }], recordedBy: 'store-clerk' } });
          assert.equal(put.statusCode, 200, put.body);
          const wecom = put.json().purposes.find((p: { purpose: string }) => p.purpose === 'wecom_message');
          assert.deepEqual([wecom.status, wecom.isAllowed, wecom.textVersion], ['granted', true, '2026-01']);
          const got = await app.inject({ url: '/v1/customers/c1/consents' });
          assert.deepEqual([got.statusCode, got.json().history.length, got.json().history[0].evidence], [200, 1, '(encrypted)']);
          assert.deepEqual(got.json(), JSON.parse(JSON.stringify(await getConsents(store, 'c1'))), 'the ledger as the domain reads it without the key ring');
          const bad = await app.inject({ method: 'PUT', url: '/v1/customers/c1/consents', payload: { decisions: [{ purpose: 'wecom_message', status: 'maybe' }] } });
          assert.equal(bad.statusCode, 400);
          assert.match(JSON.stringify(bad.json().errors), /decisions\.0\.status|decisions\[0\]\.status/);
          assert.equal((await app.inject({ url: '/v1/customers/nobody/consents' })).statusCode, 404);
          assert.equal((await app.inject({ method: 'PUT', url: '/v1/customers/c1/consents', payload: { decisions: [{ purpose: 'nope', status: 'granted' }] } })).statusCode, 404);
        } finally {
          await app.close();
        }
      }));
  });
}
