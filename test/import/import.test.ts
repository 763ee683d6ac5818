import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { importFile, loadMapping } from '../../src/import/index.ts';
import { normalisePhone } from '../../src/ingest/index.ts';
import { DuckDBStore, type Store } from '../../src/store/index.ts';
import { parseCsv } from '../helpers/csv.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { identitiesOf, opened, ownerOf } from '../helpers/pii.ts';

const dir = mkdtempSync(join(tmpdir(), 'siyu-import-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
/** The rejects file as `line reason` strings, parsed as CSV. */
const rejectsOf = (path: string): string[] => parseCsv(readFileSync(path, 'utf8')).slice(1).map((r) => `${r[0]} ${r[1]}`);
const one = async <T>(store: Store, sql: string) => (await store.query<T>(sql))[0] as T;

const CUSTOMERS = `customer_id,phone,email,name,gender,birthday,city,registered_at,channel
M1,138 0013 8000,Wang@Example.com,王芳,女,1990-05-01,杭州,2025-01-02T03:04:05Z,小程序商城
M2,12345,,李雷,男,1988-13-01,上海,2025-01-03 10:00:00,天猫旗舰店
,13900139000,,无名,,,,,
M3,13700137000,not-an-email,韩梅梅,f,,北京,yesterday,线下门店
M1,138 0013 8000,wang@example.com,王芳芳,女,1990-05-01,杭州,2025-01-02T03:04:05Z,小程序商城
"M4,x",13600136000,,"Quote ""Q""",m,,,,
`;

describe('phone normal form in import SQL', () => {
  test('matches the ingest normaliser on every case', async () => {
    const db = await DuckDBStore.open(':memory:');
    const { STAGING_MACROS } = await import('../../src/import/sql.ts');
    for (const macro of STAGING_MACROS) await db.execute(macro);
    const inputs = ['13800138000', '138 0013 8000', '+86 138-0013-8000', '8613800138000', '0086 13800138000', '+1 (415) 555-0100', '1380013800', 'not a phone', '021-6888 8888', '+44 20 7946 0958'];
    for (const input of inputs) {
      const [row] = await db.query<{ p: string | null }>('SELECT siyu_phone($1) AS p', [input]);
      assert.equal(row?.p ?? undefined, normalisePhone(input), input);
    }
    await db.close();
  });
});

describe('mapping files', () => {
  test('the shipped mappings are valid', () => {
    assert.equal(loadMapping('mappings/online-retail.json').grain, 'line');
    assert.equal(loadMapping('mappings/youzan-orders.json').identifier, 'phone');
  });
  test('a mapping with an unknown key is refused with its file and path', () => {
    const path = file('bad-mapping.json', JSON.stringify({ columns: { order_id: 'A' }, colums: {} }));
    assert.throws(() => loadMapping(path), (error: { details: { file: string; path: string }[] }) => error.details[0]?.file === path && error.details[0]?.path === '(root)');
  });
});

describe('the rejects file', () => {
  test('a rejects path that is not a regular file (a directory, a device) is refused before anything is touched', async () => {
    const csv = file('customers-for-rejects.csv', 'customer_id,phone\nc1,13800000001\n');
    const directory = mkdtempSync(join(tmpdir(), 'siyu-rejects-dir-'));
    const store = await DuckDBStore.open(':memory:');
    try {
      for (const path of [directory, '/dev/null']) {
        await assert.rejects(importFile(store, 'customers', csv, { rejectsPath: path }), (error: { code: string; message: string }) => error.code === 'output_path' && error.message.includes(`${path} is not a regular file`));
      }
      assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null is still the device');
    } finally {
      await store.close();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`import on ${backend}`, () => {
    test('imports good customers, rejects bad ones with line and reason, and a re-import changes nothing', () =>
      withStore(backend, async (store) => {
        const path = file(`customers-${backend}.csv`, CUSTOMERS);
        const rejects = join(dir, `customers-${backend}.rejects.csv`);
        const report = await importFile(store, 'customers', path, { rejectsPath: rejects });
        assert.deepEqual([report.rows, report.accepted, report.rejected], [6, 2, 4]);
        assert.deepEqual(rejectsOf(rejects), [
          '2 customer_id M1 appears again at line 6, which is kept',
          '3 phone: not a valid phone number: "12345"; birthday: not a YYYY-MM-DD date: "1988-13-01"',
          '4 customer_id is empty',
          '5 email: not a valid email address: "not-an-email"; registered_at: not an ISO-8601 date-time: "yesterday"',
        ]);
        const rows = await opened(store, await store.query('SELECT customer_id, phone, email, name, gender, birthday, birth_year, birth_month FROM customers ORDER BY customer_id'));
        assert.deepEqual(rows, [
          { customer_id: 'M1', phone: '+8613800138000', email: 'wang@example.com', name: '王芳芳', gender: 'f', birthday: '1990-05-01', birth_year: 1990, birth_month: 5 },
          { customer_id: 'M4,x', phone: '+8613600136000', email: null, name: 'Quote "Q"', gender: 'm', birthday: null, birth_year: null, birth_month: null },
        ]);
        assert.deepEqual((await identitiesOf(store, 'M1')).filter((i) => i.type === 'phone'), [{ type: 'phone', value: '+8613800138000' }]);
        assert.equal(await ownerOf(store, 'phone', '+8613800138000'), 'M1', 'the phone finds its customer by blind index');
        const stored = await store.query<{ v: string }>(`SELECT phone AS v FROM customers UNION ALL SELECT value FROM identities WHERE type IN ('phone', 'email') UNION ALL SELECT name FROM customers UNION ALL SELECT birthday FROM customers`);
        assert.ok(stored.every((r) => r.v === null || /^(e1|b1):/.test(r.v)), `personal values are stored sealed: ${JSON.stringify(stored)}`);
        const again = await importFile(store, 'customers', path, { rejectsPath: rejects });
        assert.equal(again.accepted, 2);
        assert.equal((await one<{ n: number }>(store, 'SELECT count(*) AS n FROM customers')).n, 2);
        assert.equal((await one<{ n: number }>(store, 'SELECT count(*) AS n FROM identities')).n, 5);
      }));

    test('orders and order lines load in fen with the brand timezone, and lines of unknown orders are rejected', () =>
      withStore(backend, async (store) => {
        const orders = file(`orders-${backend}.csv`, `order_id,customer_id,placed_at,total,discount,currency,channel,store_id,status,coupon_code
O1,M1,2026-03-01 10:00:00,128.50,10,,小程序商城,,,NEW10
O2,M2,2026-03-02T00:00:00+08:00,"1,299.00",0,CNY,线下门店,杭州-1号店,refunded,
O3,M3,2026-03-03,12,0,CNY,,,lost,
`);
        const report = await importFile(store, 'orders', orders, { rejectsPath: join(dir, `o-${backend}.rej`) });
        assert.deepEqual([report.accepted, report.rejected, report.customersCreated], [2, 1, 2]);
        assert.deepEqual(rejectsOf(join(dir, `o-${backend}.rej`)), ['4 status: not one of completed, partially_refunded, refunded, cancelled: "lost"']);
        const rows = await store.query('SELECT customer_id, order_id, placed_at, total_fen, discount_fen, refunded_fen, currency, status FROM orders ORDER BY order_id');
        assert.deepEqual(rows, [
          { customer_id: 'M1', order_id: 'O1', placed_at: new Date('2026-03-01T02:00:00Z'), total_fen: 12850, discount_fen: 1000, refunded_fen: 0, currency: 'CNY', status: 'completed' },
          { customer_id: 'M2', order_id: 'O2', placed_at: new Date('2026-03-01T16:00:00Z'), total_fen: 129900, discount_fen: 0, refunded_fen: 129900, currency: 'CNY', status: 'refunded' },
        ]);
        const items = file(`items-${backend}.csv`, `order_id,sku,quantity,unit_price,category,brand
O1,SKU-1,2,59.25,乳品,牧场时光
O1,SKU-2,1,10,零食,
O9,SKU-1,1,59.25,,
`);
        const before = await store.query<{ order_id: string; updated_at: Date }>('SELECT order_id, updated_at FROM orders ORDER BY order_id');
        const lines = await importFile(store, 'order-items', items, { rejectsPath: join(dir, `i-${backend}.rej`) });
        assert.deepEqual([lines.accepted, lines.rejected], [2, 1]);
        // New lines change their order, so incremental layer updates and the layers' staleness checks see them.
        const updated = await store.query<{ order_id: string; updated_at: Date }>('SELECT order_id, updated_at FROM orders ORDER BY order_id');
        assert.ok(updated[0]!.updated_at > before[0]!.updated_at, 'O1 changed');
        assert.deepEqual(updated[1], before[1], 'O2 did not');
        assert.deepEqual(rejectsOf(join(dir, `i-${backend}.rej`)), ['4 order O9 is not in the store; import its order first']);
        assert.deepEqual(await store.query('SELECT customer_id, line, sku, quantity, unit_price_fen FROM order_items ORDER BY line'), [
          { customer_id: 'M1', line: 1, sku: 'SKU-1', quantity: 2, unit_price_fen: 5925 },
          { customer_id: 'M1', line: 2, sku: 'SKU-2', quantity: 1, unit_price_fen: 1000 },
        ]);
      }));

    test('the UCI Online Retail mapping loads invoices as orders with their lines', () =>
      withStore(backend, async (store) => {
        const rejects = join(dir, `retail-${backend}.rej`);
        const report = await importFile(store, 'orders', 'test/fixtures/import/online-retail-sample.csv', { mapping: 'mappings/online-retail.json', rejectsPath: rejects });
        assert.deepEqual([report.rows, report.accepted, report.rejected, report.customersCreated], [313, 300, 13, 24]);
        assert.ok(rejectsOf(rejects).every((r) => r.endsWith('customer_id is empty')));
        const totals = await one<{ n: number; cancelled: number; fen: number }>(store, `SELECT count(*) AS n, sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled, sum(total_fen) AS fen FROM orders WHERE currency = 'GBP'`);
        assert.deepEqual([totals.n, totals.cancelled], [34, 3]);
        // invoice 536365: 7 lines, £139.12, at 08:26 London time (UTC in winter)
        const first = await one(store, `SELECT customer_id, total_fen, placed_at, (SELECT count(*) FROM order_items WHERE order_id = '536365') AS lines FROM orders WHERE order_id = '536365'`);
        assert.deepEqual(first, { customer_id: '17850', total_fen: 13912, placed_at: new Date('2010-12-01T08:26:00Z'), lines: 7 });
        await importFile(store, 'orders', 'test/fixtures/import/online-retail-sample.csv', { mapping: 'mappings/online-retail.json', rejectsPath: rejects });
        assert.equal((await one<{ fen: number }>(store, 'SELECT sum(total_fen) AS fen FROM orders')).fen, totals.fen);
      }));

    test('the Youzan mapping reads Chinese headers and statuses, keys buyers by phone, and a member import merges them', () =>
      withStore(backend, async (store) => {
        const rejects = join(dir, `youzan-${backend}.rej`);
        const report = await importFile(store, 'orders', 'mappings/samples/youzan-orders.csv', { mapping: 'mappings/youzan-orders.json', rejectsPath: rejects });
        assert.deepEqual([report.accepted, report.rejected], [37, 3]);
        assert.deepEqual(rejectsOf(rejects).map((r) => r.split(' ')[0]), ['7', '13', '19']);
        const statuses = await store.query<{ status: string }>('SELECT DISTINCT status FROM orders ORDER BY status');
        assert.deepEqual(statuses.map((s) => s.status), ['cancelled', 'completed', 'partially_refunded', 'refunded']);
        const [buyer] = await store.query<{ customer_id: string; n: number }>(`SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id ORDER BY customer_id LIMIT 1`);
        // A buyer keyed by phone is named by the phone's blind index, never the number.
        assert.match(buyer!.customer_id, /^phone:b1:[0-9a-f]{32}$/);
        const phone = (await identitiesOf(store, buyer!.customer_id))[0]!.value;
        assert.match(phone, /^\+861\d{10}$/);
        const members = file(`members-${backend}.csv`, `customer_id,phone\nVIP-1,${phone}\n`);
        const merged = await importFile(store, 'customers', members, { rejectsPath: join(dir, 'm.rej') });
        assert.equal(merged.merges, 1);
        assert.equal((await one<{ n: number }>(store, `SELECT count(*) AS n FROM orders WHERE customer_id = 'VIP-1'`)).n, buyer!.n);
      }));

    test('products load from JSONL and Parquet, and events from Segment JSONL with bad lines rejected', () =>
      withStore(backend, async (store) => {
        const jsonl = file(`p-${backend}.jsonl`, `{"sku":"A","name":"燕麦奶","price":19.9,"replenish_days":14}\n{"sku":"B","price":"free"}\nnot json\n`);
        const r1 = await importFile(store, 'products', jsonl, { rejectsPath: join(dir, `p-${backend}.rej`) });
        assert.deepEqual([r1.accepted, r1.rejected], [1, 2]);
        assert.deepEqual(rejectsOf(join(dir, `p-${backend}.rej`)).map((r) => r.split(' ')[0]), ['2', '3']);
        const scratch = await DuckDBStore.open(':memory:');
        const parquet = join(dir, `p-${backend}.parquet`);
        await scratch.execute(`COPY (SELECT 'C' AS sku, '牙膏' AS name, 12.5 AS price, 45 AS replenish_days) TO '${parquet}' (FORMAT parquet)`);
        await scratch.close();
        await importFile(store, 'products', parquet);
        assert.deepEqual(await store.query('SELECT sku, price_fen, replenish_days, is_active, stock FROM products ORDER BY sku'), [
          { sku: 'A', price_fen: 1990, replenish_days: 14, is_active: true, stock: null },
          { sku: 'C', price_fen: 1250, replenish_days: 45, is_active: true, stock: null },
        ]);
        // Activity and stock: an update changes only what the file gives; bad values are rejected with the line.
        const flags = file(`p2-${backend}.csv`, 'sku,is_active,stock\nA,否,0\nC,,12\nD,maybe,1\nE,yes,-1\n');
        const r4 = await importFile(store, 'products', flags, { rejectsPath: join(dir, `p2-${backend}.rej`) });
        assert.deepEqual([r4.accepted, r4.rejected], [2, 2]);
        const rejected = rejectsOf(join(dir, `p2-${backend}.rej`));
        assert.match(rejected.find((r) => r.startsWith('4 '))!, /is_active: not true\/false/);
        assert.match(rejected.find((r) => r.startsWith('5 '))!, /stock: not a whole number ≥ 0/);
        assert.deepEqual(await store.query('SELECT sku, price_fen, is_active, stock FROM products ORDER BY sku'), [
          { sku: 'A', price_fen: 1990, is_active: false, stock: 0 },
          { sku: 'C', price_fen: 1250, is_active: true, stock: 12 },
        ]);
        const events = file(`e-${backend}.jsonl`, `{"type":"track","userId":"u1","event":"Product Viewed","messageId":"e1"}\n{"type":"track","event":"X"}\n\n{"type":"identify","userId":"u1","traits":{"phone":"13800138000"},"messageId":"e2"}\n{oops\n`);
        const r2 = await importFile(store, 'events', events, { rejectsPath: join(dir, `e-${backend}.rej`) });
        assert.deepEqual([r2.rows, r2.accepted, r2.rejected], [4, 2, 2]);
        assert.deepEqual(rejectsOf(join(dir, `e-${backend}.rej`)).map((r) => r.split(' ')[0]), ['2', '5']);
        const r3 = await importFile(store, 'events', events, { rejectsPath: join(dir, `e-${backend}.rej`) });
        assert.deepEqual([r3.accepted, r3.duplicates], [0, 2]);
      }));
  });
}
