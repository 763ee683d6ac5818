import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { importFile, Mapping } from '../../src/import/index.ts';
import { checkConsent, configureMasterKey, createRequest, csvCell, dueDate, fulfilRequest, getConsents, getRequest, keyRingFor, listRequests, recordConsents, rejectRequest } from '../../src/privacy/index.ts';
import { trainRecommendations } from '../../src/recommend/index.ts';
import { computeRfm, setTags } from '../../src/segment/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { identitiesOf, opened, ownerOf, storedValue } from '../helpers/pii.ts';
import { send } from '../ingest/helpers.ts';

// 王芳 first shops anonymously, then signs in: two profiles, merged. 李雷 is another customer whose data must stay.
const WANG = { userId: 'u-wang-7731', anonymousId: 'anon-wang-5519', phone: '13912345678', email: 'wang.fang.7731@example.com', name: '王芳芳', member: 'VIP-88231' };
const NEEDLES = [WANG.userId, WANG.anonymousId, WANG.phone, WANG.email, WANG.name, WANG.member];

const order = (userId: string, orderId: string, totalYuan: number, day: string, second = 'SKU-B') => ({
  type: 'track', userId, event: 'Order Completed', timestamp: `${day}T04:00:00Z`,
  properties: { order_id: orderId, total: totalYuan, currency: 'CNY', products: [{ product_id: 'SKU-A', price: totalYuan / 4, quantity: 2 }, { product_id: second, price: totalYuan / 2, quantity: 1 }] },
});

async function brand(store: Store): Promise<void> {
  configureMasterKey(store, { masterKey: randomBytes(32) });
  await send(
    store,
    { type: 'identify', anonymousId: WANG.anonymousId, traits: { phone: WANG.phone }, timestamp: '2026-01-01T00:00:00Z' },
    { type: 'track', anonymousId: WANG.anonymousId, event: 'Product Viewed', properties: { sku: 'SKU-A' }, context: { traits: { phone: WANG.phone } }, timestamp: '2026-01-01T00:01:00Z' },
    { type: 'identify', userId: WANG.userId, anonymousId: WANG.anonymousId, traits: { phone: WANG.phone, email: WANG.email, name: WANG.name, birthday: '1990-05-01', member_no: WANG.member, address: { city: '上海', street: '淮海路 99 号' } }, context: { consent: { categoryPreferences: { sms_marketing: true } } }, timestamp: '2026-01-02T00:00:00Z' },
    order(WANG.userId, 'SO-W1', 100, '2026-01-03'),
    order(WANG.userId, 'SO-W2', 60, '2026-02-03', 'SKU-C'),
    { type: 'identify', userId: 'u-li', traits: { phone: '13700000000', name: '李雷', email: '=HYPERLINK("http://x")@example.com' }, timestamp: '2026-01-02T00:00:00Z' },
    order('u-li', 'SO-L1', 80, '2026-01-05'),
    order('u-li', 'SO-L2', 40, '2026-01-06', 'SKU-D'),
  );
  await recordConsents(store, [{ customerId: WANG.userId, purpose: 'wecom_message', status: 'granted', source: 'cli', evidence: `signed by ${WANG.name} ${WANG.phone}` }], await keyRingFor(store));
  await computeRfm(store, { asOf: '2026-03-01' });
  await setTags(store, '高净值', [WANG.userId, 'u-li'], 'test');
  await trainRecommendations(store, { algorithm: 'sar', params: { timeDecayDays: 0 } });
}

/** Every row of every table whose text or JSON (any column, cast to text) contains `needle`: `table.column`. */
async function findEverywhere(store: Store, needle: string): Promise<string[]> {
  const columns = await store.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY 1, 2`,
  );
  const hits: string[] = [];
  for (const { table_name, column_name } of columns) {
    const [row] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM "${table_name}" WHERE CAST("${column_name}" AS TEXT) LIKE $1`, [`%${needle}%`]);
    if (Number(row!.n) > 0) hits.push(`${table_name}.${column_name}`);
  }
  return hits;
}

const totals = async (store: Store) => (await store.query<{ gmv: number; orders: number; buyers: number; lines: number }>('SELECT sum(total_fen) AS gmv, count(*) AS orders, count(DISTINCT customer_id) AS buyers, (SELECT sum(quantity) FROM order_items) AS lines FROM orders'))[0]!;

for (const backend of BACKENDS) {
  describe(`data-subject requests on ${backend}`, () => {
    test('deletion erases the person from every table and column, keeps aggregates, and tombstones them against silent re-creation', () =>
      withStore(backend, async (store) => {
        await brand(store);
        for (const needle of [WANG.userId, WANG.anonymousId, WANG.member]) assert.notDeepEqual(await findEverywhere(store, needle), [], `the fixture holds ${needle}`);
        // Phone, email and name are sealed at rest: no column holds them in plain even before the erasure, and the
        // phone's identity is found by its blind index.
        for (const needle of [WANG.phone, WANG.email, WANG.name, '1990-05-01']) assert.deepEqual(await findEverywhere(store, needle), [], `${needle} is stored sealed`);
        assert.deepEqual(await store.query('SELECT birth_year, birth_month FROM customers WHERE customer_id = $1', [WANG.userId]), [{ birth_year: 1990, birth_month: 5 }]);
        const phoneIndex = await storedValue(store, 'phone', `+86${WANG.phone}`);
        assert.deepEqual(await findEverywhere(store, phoneIndex), ['customer_merges.evidence', 'identities.value'], 'the identity and the merge it caused');
        const before = await totals(store);
        const liBefore = await store.query('SELECT * FROM orders WHERE customer_id = $1', ['u-li']);

        const request = await createRequest(store, { type: 'deletion', customerId: `anon:${WANG.anonymousId}`, note: 'by phone, verified' }, new Date('2026-03-02T02:00:00Z'));
        assert.equal(request.subjectId, WANG.userId, 'a merged id is followed to the person');
        await fulfilRequest(store, request.requestId, { handler: 'dpo@brand' });

        for (const needle of NEEDLES) assert.deepEqual(await findEverywhere(store, needle), [], `nothing anywhere holds ${needle}`);
        assert.deepEqual(await findEverywhere(store, `anon:${WANG.anonymousId}`), []);
        assert.deepEqual(await findEverywhere(store, phoneIndex), ['privacy_tombstones.blind_key'], 'only the tombstone keeps the phone, as its blind index');
        assert.deepEqual(await store.query('SELECT customer_id FROM customers WHERE birth_year IS NOT NULL OR birth_month IS NOT NULL OR birthday IS NOT NULL'), [], 'the birth year and month go too');
        const after = await totals(store);
        assert.deepEqual(after, before, 'GMV, order and buyer counts and order lines are unchanged');
        assert.deepEqual(await store.query('SELECT * FROM orders WHERE customer_id = $1', ['u-li']), liBefore, 'others are untouched');
        assert.deepEqual(await opened(store, await store.query('SELECT name FROM customers WHERE customer_id = $1', ['u-li'])), [{ name: '李雷' }], 'others keep their data');
        const done = await getRequest(store, request.requestId);
        assert.deepEqual([done.status, done.handler, done.subjectId.startsWith('erased:'), done.details], ['fulfilled', 'dpo@brand', true, null]);

        // A later event naming them by phone is held, not turned back into a profile; fresh consent lets it through.
        await send(store, { type: 'identify', userId: 'u-new-1', traits: { phone: WANG.phone, name: WANG.name } });
        assert.equal((await store.query(`SELECT 1 FROM customers WHERE customer_id = 'u-new-1'`)).length, 0);
        assert.equal((await store.query('SELECT 1 FROM privacy_quarantine')).length, 1);
        assert.deepEqual(await findEverywhere(store, WANG.phone), [], 'the held message is encrypted');
        await send(store, { type: 'identify', userId: WANG.userId, traits: { email: WANG.email } });
        assert.equal((await store.query('SELECT 1 FROM privacy_quarantine')).length, 2, 'by user id too');
        await send(store, { type: 'identify', userId: 'u-new-2', traits: { phone: WANG.phone }, context: { consent: { categoryPreferences: { sms_marketing: true } } } });
        assert.equal((await store.query(`SELECT 1 FROM customers WHERE customer_id = 'u-new-2'`)).length, 1);
        assert.deepEqual((await checkConsent(store, 'sms_marketing', ['u-new-2'])).allowed, ['u-new-2']);
        await send(store, { type: 'identify', userId: WANG.userId, traits: { email: WANG.email } });
        assert.equal((await store.query(`SELECT 1 FROM customers WHERE customer_id = $1`, [WANG.userId])).length, 1, 'fresh consent cleared every identifier of the person');
      }));

    test('bulk imports do not bring an erased person back: CSV rows are rejected with the reason, events are held, consent in events is recorded', () =>
      withStore(backend, async (store) => {
        await brand(store);
        const request = await createRequest(store, { type: 'deletion', customerId: WANG.userId });
        await fulfilRequest(store, request.requestId, { handler: 'dpo@brand' });
        const dir = mkdtempSync(join(tmpdir(), 'siyu-erased-'));
        const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
        const reasons = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l.includes('erased at their request')).length;
        try {
          // The CRM still holds her under her member id, and a new row with her phone under another id.
          const customers = file('customers.csv', `customer_id,phone,name\n${WANG.userId},,王芳芳\nu-other,${WANG.phone},王芳\nu-fresh,13600000001,新客\n`);
          const c = await importFile(store, 'customers', customers, { rejectsPath: join(dir, 'c.rej') });
          assert.deepEqual([c.accepted, c.rejected], [1, 2]);
          assert.equal(reasons(join(dir, 'c.rej')), 2, 'both rows name the reason');
          assert.deepEqual((await store.query(`SELECT customer_id FROM customers WHERE customer_id IN ('u-other', $1, 'u-fresh')`, [WANG.userId])).map((r) => r.customer_id), ['u-fresh']);
          // Orders keyed by her phone, and by her user id.
          const byPhone = file('orders.csv', `customer_id,order_id,placed_at,total\n${WANG.phone},SO-X1,2026-04-01 10:00,99\n13600000002,SO-X2,2026-04-01 11:00,50\n`);
          const o = await importFile(store, 'orders', byPhone, { rejectsPath: join(dir, 'o.rej'), mapping: Mapping.parse({ identifier: 'phone' }) });
          assert.deepEqual([o.accepted, o.rejected, reasons(join(dir, 'o.rej'))], [1, 1, 1]);
          const byUser = file('orders-u.csv', `customer_id,order_id,placed_at,total\n${WANG.userId},SO-X3,2026-04-02 10:00,10\n`);
          assert.equal((await importFile(store, 'orders', byUser, { rejectsPath: join(dir, 'u.rej') })).rejected, 1);
          assert.equal((await store.query(`SELECT 1 FROM orders WHERE order_id IN ('SO-X1', 'SO-X3')`)).length, 0);
          for (const needle of NEEDLES) assert.deepEqual(await findEverywhere(store, needle), [], `nothing holds ${needle} after the imports`);
          // Events name her by user id: held, encrypted. An event with fresh consent passes and is recorded in the ledger.
          const events = file('events.jsonl', [
            { type: 'identify', userId: WANG.userId, traits: { name: WANG.name }, messageId: 'imp-1' },
            { type: 'track', userId: 'u-fresh', event: 'Product Viewed', messageId: 'imp-2' },
            { type: 'identify', userId: 'u-fresh', context: { consent: { categoryPreferences: { sms_marketing: true } } }, messageId: 'imp-3' },
          ].map((e) => JSON.stringify(e)).join('\n'));
          const e = await importFile(store, 'events', events, { rejectsPath: join(dir, 'e.rej') });
          assert.deepEqual([e.accepted, e.held, e.rejected], [2, 1, 0]);
          assert.equal((await store.query('SELECT 1 FROM privacy_quarantine')).length, 1);
          assert.deepEqual(await findEverywhere(store, WANG.name), [], 'the held message is encrypted');
          assert.deepEqual((await checkConsent(store, 'sms_marketing', ['u-fresh'])).allowed, ['u-fresh'], 'consent carried by an imported event is recorded');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }));

    test('access writes a JSON and CSV bundle of everything held; correction and withdrawal change what was asked', () =>
      withStore(backend, async (store) => {
        await brand(store);
        const dir = mkdtempSync(join(tmpdir(), 'siyu-bundle-'));
        try {
          const access = await createRequest(store, { type: 'access', customerId: WANG.userId });
          const done = await fulfilRequest(store, access.requestId, { handler: 'service', outDir: dir });
          const bundle = JSON.parse(readFileSync(join(dir, access.requestId, 'bundle.json'), 'utf8'));
          assert.deepEqual(bundle.customerIds, [`anon:${WANG.anonymousId}`, WANG.userId]);
          for (const table of ['customers', 'identities', 'orders', 'order_items', 'events', 'consent_entries', 'consent_state', 'rfm_score_values', 'customer_tags', 'customer_merges', 'recommendations', 'privacy_requests']) assert.ok(bundle.tables[table]?.length > 0, table);
          assert.equal(bundle.tables.orders.length, 2);
          assert.ok(bundle.tables.consent_entries.some((e: { evidence: string | null }) => e.evidence === `signed by ${WANG.name} ${WANG.phone}`), 'evidence is decrypted');
          assert.ok(!JSON.stringify(bundle).includes('李雷'));
          assert.deepEqual(done.result!.files, ['bundle.json', ...Object.keys(bundle.tables).map((t) => `${t}.csv`)]);
          assert.match(readFileSync(join(dir, access.requestId, 'customers.csv'), 'utf8'), new RegExp(WANG.name));
          const wang = bundle.tables.customers.find((c: { customer_id: string }) => c.customer_id === WANG.userId);
          assert.deepEqual([wang.birthday, wang.birth_year, wang.birth_month], ['1990-05-01', 1990, 5], 'the birthday is opened in the bundle');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        assert.deepEqual(['=1+1', '+86 138', '-5', '@SUM(A1)', 'plain', 'a,"b"'].map(csvCell), ["'=1+1", "'+86 138", "'-5", "'@SUM(A1)", 'plain', '"a,""b"""'], 'no CSV cell can run as a formula');

        await assert.rejects(createRequest(store, { type: 'correction', customerId: WANG.userId, changes: { birthday: '1991-02-30' } }), (e: unknown) => isSiyuError(e) && e.kind === 'validation', 'not a calendar date');
        const correction = await createRequest(store, { type: 'correction', customerId: WANG.userId, changes: { email: 'Fang.Wang@Example.com', city: '杭州', birthday: '1991-06-02' } });
        const [stored] = await store.query<{ details: unknown }>('SELECT CAST(details AS TEXT) AS details FROM privacy_requests WHERE request_id = $1', [correction.requestId]);
        assert.ok(!String(stored!.details).includes('fang.wang'), 'what was asked is encrypted at rest');
        assert.deepEqual((await getRequest(store, correction.requestId)).details?.changes, { email: 'Fang.Wang@Example.com', city: '杭州', birthday: '1991-06-02' });
        await fulfilRequest(store, correction.requestId, { handler: 'service' });
        const [raw] = await store.query<{ email: string; city: string; birthday: string; birth_year: number; birth_month: number }>('SELECT email, city, birthday, birth_year, birth_month FROM customers WHERE customer_id = $1', [WANG.userId]);
        assert.ok(raw!.birthday.startsWith('e1:'), 'the corrected birthday is sealed');
        assert.deepEqual(await opened(store, [raw!]), [{ email: 'fang.wang@example.com', city: '杭州', birthday: '1991-06-02', birth_year: 1991, birth_month: 6 }]);
        const emails = (await identitiesOf(store, WANG.userId)).filter((i) => i.type === 'email');
        assert.deepEqual(emails.map((e) => e.value), ['fang.wang@example.com']);
        assert.equal(await ownerOf(store, 'email', 'fang.wang@example.com'), WANG.userId, 'the corrected email finds the person');
        assert.equal(await ownerOf(store, 'email', WANG.email), undefined, 'the old one no longer does');
        const taken = await createRequest(store, { type: 'correction', customerId: WANG.userId, changes: { phone: '13700000000' } });
        await assert.rejects(fulfilRequest(store, taken.requestId, { handler: 'service' }), (e: unknown) => isSiyuError(e) && e.code === 'identity_taken');
        assert.equal((await getRequest(store, taken.requestId)).status, 'open', 'a failed fulfilment changes nothing');

        const withdrawal = await createRequest(store, { type: 'withdrawal', customerId: WANG.userId });
        const result = (await fulfilRequest(store, withdrawal.requestId, { handler: 'service' })).result as { purposes: string[] };
        assert.deepEqual(result.purposes.sort(), ['personalised_recommendation', 'sms_marketing', 'wecom_message']);
        assert.ok((await getConsents(store, WANG.userId)).purposes.every((p) => !p.isAllowed));
        await assert.rejects(fulfilRequest(store, withdrawal.requestId, { handler: 'service' }), (e: unknown) => isSiyuError(e) && e.code === 'request_closed');
        const rejected = await rejectRequest(store, taken.requestId, { handler: 'service', reason: 'the number belongs to someone else' });
        assert.equal(rejected.status, 'rejected');
        assert.deepEqual((await listRequests(store, { status: 'open' })).map((r) => r.type), []);
        assert.equal((await listRequests(store)).length, 4);
      }));

    test('the queue over HTTP: file, list, show, fulfil, reject; bad input names the field', () =>
      withStore(backend, async (store) => {
        configureMasterKey(store, { masterKey: randomBytes(32) });
        await send(store, { type: 'identify', userId: 'u1', traits: { phone: '13800000001' } });
        const app = await buildServerAs(store);
        try {
          const created = await app.inject({ method: 'POST', url: '/v1/privacy/requests', payload: { type: 'withdrawal', customerId: 'u1', purposes: ['personalised_recommendation'] } });
          assert.equal(created.statusCode, 201, created.body);
          const id = created.json().requestId;
          assert.equal((await app.inject({ url: '/v1/privacy/requests?status=open' })).json().requests.length, 1);
          assert.deepEqual((await app.inject({ url: `/v1/privacy/requests/${id}` })).json().details, { purposes: ['personalised_recommendation'] });
          const fulfilled = await app.inject({ method: 'POST', url: `/v1/privacy/requests/${id}/fulfil`, payload: { handler: 'dpo' } });
          assert.deepEqual([fulfilled.statusCode, fulfilled.json().status], [200, 'fulfilled']);
          assert.deepEqual((await checkConsent(store, 'personalised_recommendation', ['u1'])).allowed, []);
          const bad = await app.inject({ method: 'POST', url: '/v1/privacy/requests', payload: { type: 'erase', customerId: 'u1' } });
          assert.deepEqual([bad.statusCode, bad.json().errors[0].path], [400, 'type']);
          assert.equal((await app.inject({ method: 'POST', url: '/v1/privacy/requests', payload: { type: 'access', customerId: 'nobody' } })).statusCode, 404);
          assert.equal((await app.inject({ method: 'POST', url: `/v1/privacy/requests/${id}/fulfil`, payload: { handler: 'dpo' } })).statusCode, 409);
          assert.deepEqual(fulfilled.json(), JSON.parse(JSON.stringify(await getRequest(store, id))));

          const other = (await app.inject({ method: 'POST', url: '/v1/privacy/requests', payload: { type: 'access', customerId: 'u1', note: '电话来的' } })).json();
          const rejected = await app.inject({ method: 'POST', url: `/v1/privacy/requests/${other.requestId}/reject`, payload: { handler: 'dpo', reason: 'identity not verified' } });
          assert.equal(rejected.statusCode, 200, rejected.body);
          assert.deepEqual(rejected.json(), JSON.parse(JSON.stringify(await getRequest(store, other.requestId))));
          assert.deepEqual([rejected.json().status, rejected.json().result, rejected.json().note], ['rejected', { reason: 'identity not verified' }, '电话来的']);
          assert.deepEqual((await app.inject({ url: '/v1/privacy/requests' })).json().requests.map((r: { requestId: string; details: unknown }) => [r.requestId, r.details]).sort(), [[id, null], [other.requestId, null]].sort(), 'lists leave the details out');
        } finally {
          await app.close();
        }
      }));
  });
}

describe('due dates', () => {
  const calendar = { timezone: 'Asia/Shanghai', holidays: new Set(['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07']), workdays: new Set(['2026-10-10']) };
  const cases: [title: string, at: string, days: number, due: string][] = [
    ['15 working days from a Monday are three weeks later', '2026-06-01T02:00:00Z', 15, '2026-06-22'],
    ['a request late on Friday in Shanghai counts from Saturday there', '2026-06-05T17:30:00Z', 1, '2026-06-08'],
    ['public holidays do not count, a make-up Saturday does', '2026-09-30T02:00:00Z', 3, '2026-10-10'],
    ['the Sunday after the make-up Saturday does not', '2026-09-30T02:00:00Z', 4, '2026-10-12'],
  ];
  for (const [title, at, days, due] of cases) test(title, () => assert.equal(dueDate(new Date(at), days, calendar), due));
});
