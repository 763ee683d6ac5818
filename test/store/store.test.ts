import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { describeStore, dialect, FACT_TABLE_KEYS, fixedOffset, listMigrations, localDay, localSeconds, migrate, openStore } from '../../src/store/index.ts';
import { splitStatements } from '../../src/store/migrate.ts';
import { BACKENDS, freshLocation, withStore } from '../helpers/backends.ts';

describe('migration scripts', () => {
  it('skip statements marked postgres-only on DuckDB and keep them on PostgreSQL', () => {
    const sql = 'CREATE TABLE a (x INT);\n-- postgres-only\nCREATE INDEX a_x ON a (x);\n-- a comment\nCREATE TABLE b (y INT);\n';
    assert.deepEqual(splitStatements(sql, 'duckdb'), ['CREATE TABLE a (x INT)', 'CREATE TABLE b (y INT)']);
    assert.deepEqual(splitStatements(sql, 'postgres'), ['CREATE TABLE a (x INT)', 'CREATE INDEX a_x ON a (x)', 'CREATE TABLE b (y INT)']);
  });
});

describe('two DuckDB connections changing one row at once', () => {
  it('fail the later one as a write conflict to try again, keeping nothing of it, and the retry succeeds', async () => {
    await withStore('duckdb', async (store) => {
      await store.execute('INSERT INTO channels (channel_id, name, kind) VALUES ($1, $2, $3)', ['mp', '小程序商城', 'mini_program']);
      const rename = 'UPDATE channels SET name = $1 WHERE channel_id = $2';
      const fork = await store.fork();
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let renamed!: () => void;
        const firstRenamed = new Promise<void>((resolve) => (renamed = resolve));
        const first = store.transaction(async (tx) => {
          await tx.execute(rename, ['first', 'mp']);
          renamed();
          await held;
        });
        await firstRenamed;
        await assert.rejects(
          fork.transaction((tx) => tx.execute(rename, ['second', 'mp'])),
          (e: unknown) => isSiyuError(e) && e.kind === 'unavailable' && e.code === 'write_conflict' && /try again/.test(e.message),
        );
        release();
        await first;
        await fork.transaction((tx) => tx.execute(rename, ['second', 'mp']));
        assert.deepEqual(await store.query('SELECT name FROM channels'), [{ name: 'second' }]);
      } finally {
        await fork.close();
      }
    });
  });
});

describe('local days', () => {
  it('take a fixed offset only for zones that keep one from 2000 on', () => {
    assert.equal(fixedOffset('Asia/Shanghai'), 8 * 3600, 'no daylight saving since 1991');
    assert.equal(fixedOffset('Asia/Kolkata'), 5.5 * 3600);
    assert.equal(fixedOffset('UTC'), 0);
    assert.equal(fixedOffset('America/New_York'), null, 'daylight saving');
    assert.equal(fixedOffset('America/Sao_Paulo'), null, 'daylight saving until 2019');
    assert.equal(fixedOffset('Not/AZone'), null);
  });
});

for (const backend of BACKENDS) {
  describe(`local days on ${backend}`, () => {
    it('by arithmetic are the days and clock times the engine\'s zone conversion gives, in and outside the fixed span', async () => {
      await withStore(backend, async (store) => {
        const instants = ['1985-06-01T17:30:00Z', '1999-12-31T15:59:59Z', '1999-12-31T16:00:00Z', '2024-02-29T16:00:00.500Z', '2026-07-05T15:59:59.999Z', '2026-07-05T16:00:00Z', '1969-12-31T20:00:00Z', '2090-01-01T00:00:00Z'];
        await store.insertRows('orders', ['customer_id', 'order_id', 'placed_at', 'status', 'total_fen', 'discount_fen', 'refunded_fen', 'currency', 'updated_at'], instants.map((at, i) => ['c', `o${i}`, new Date(at), 'completed', 1, 0, 0, 'CNY', new Date()]));
        for (const zone of ['Asia/Shanghai', 'Asia/Kolkata', 'America/New_York']) {
          const rows = await store.query<{ fast: string; slow: string; fast_s: number; slow_s: number }>(
            `SELECT CAST(${localDay(zone)} AS VARCHAR) AS fast, CAST(CAST(placed_at AT TIME ZONE '${zone}' AS DATE) AS VARCHAR) AS slow,
                    ${localSeconds(zone)} AS fast_s, extract(epoch FROM placed_at AT TIME ZONE '${zone}') AS slow_s FROM orders ORDER BY order_id`,
          );
          assert.equal(rows.length, instants.length);
          for (const [i, r] of rows.entries()) {
            assert.equal(r.fast, r.slow, `${zone} day of ${instants[i]}`);
            assert.equal(Number(r.fast_s), Number(r.slow_s), `${zone} clock of ${instants[i]}`);
          }
        }
        const [shanghai] = await store.query<{ day: string }>(`SELECT CAST(${localDay('Asia/Shanghai')} AS VARCHAR) AS day FROM orders WHERE order_id = 'o5'`);
        assert.equal(shanghai!.day, '2026-07-06', 'midnight in Shanghai is 16:00 UTC');
      });
    });
  });

  describe(`store on ${backend}`, () => {
    it('applies every numbered migration once and reports nothing pending', async () => {
      await withStore(backend, async (store) => {
        assert.deepEqual(await migrate(store), [], 'a second migrate applies nothing');
        const info = await describeStore(store);
        assert.equal(info.backend, backend);
        assert.deepEqual(info.migrations.applied, listMigrations().map((m) => m.version));
        assert.deepEqual(info.migrations.pending, []);
        for (const table of ['customers', 'identities', 'events', 'orders', 'order_items', 'products', 'channels', 'stores']) {
          assert.equal(info.tables[table], 0, `${table} exists and is empty`);
        }
        assert.equal(info.tables.settings, 2);
      });
    });

    it('returns the same JS types on both engines: numbers, Dates, parsed JSON, ISO dates', async () => {
      await withStore(backend, async (store) => {
        await store.insertRows('customers', ['customer_id', 'traits', 'created_at', 'updated_at'], [
          ['c1', { vip: true, tags: ['a'] }, new Date('2024-01-02T03:04:05.678Z'), new Date('2024-01-02T03:04:05.678Z')],
        ]);
        const [row] = await store.query<Record<string, unknown>>(
          "SELECT customer_id, traits, CAST('1990-05-17' AS DATE) AS day, created_at, count(*) OVER () AS n, CAST(9007199254740993 AS BIGINT) AS big FROM customers",
        );
        assert.deepEqual(row, {
          customer_id: 'c1',
          traits: { vip: true, tags: ['a'] },
          day: '1990-05-17',
          created_at: new Date('2024-01-02T03:04:05.678Z'),
          n: 1,
          big: '9007199254740993',
        });
      });
    });

    it('turns a duplicate primary key into a conflict error and rolls the transaction back', async () => {
      await withStore(backend, async (store) => {
        const insert = 'INSERT INTO channels (channel_id, name, kind) VALUES ($1, $2, $3)';
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.execute(insert, ['mp', '小程序商城', 'mini_program']);
            await tx.execute(insert, ['mp', 'again', 'mini_program']);
          }),
          (error: unknown) => isSiyuError(error) && error.kind === 'conflict',
        );
        assert.deepEqual(await store.query('SELECT * FROM channels'), [], 'nothing is half-written');
      });
    });

    it('upserts many rows with ON CONFLICT in chunks larger than one statement', async () => {
      await withStore(backend, async (store) => {
        const rows = Array.from({ length: 25_000 }, (_, i) => [`sku${i}`, `p${i}`, i * 100]);
        await store.insertRows('products', ['sku', 'name', 'price_fen'], rows, '(sku) DO NOTHING');
        const again = await store.insertRows('products', ['sku', 'name', 'price_fen'], rows.slice(0, 10), '(sku) DO UPDATE SET name = excluded.name');
        assert.equal(again, 10);
        const [row] = await store.query<{ n: number; total: number }>('SELECT count(*) AS n, sum(price_fen) AS total FROM products');
        assert.deepEqual(row, { n: 25_000, total: (24_999 * 25_000 * 100) / 2 });
      });
    });

    it('inserts rows of every type through the bulk path, with nulls, quotes, unicode and JSON intact', async () => {
      await withStore(backend, async (store) => {
        const at = new Date('2025-02-03T04:05:06.789Z');
        const rows = [
          ['c1', 'm"1', 'track', '含 "引号" 和 \\ 的事件', { nested: { a: [1, 2] }, s: "it's" }, null, null, 'a1', at, at, 'src'],
          ['c1', 'm2', 'page', null, {}, { ip: '1.2.3.4' }, 'u1', null, at, at, null],
        ];
        const columns = ['customer_id', 'message_id', 'type', 'name', 'properties', 'context', 'user_id', 'anonymous_id', 'ts', 'received_at', 'source'];
        assert.equal(await store.insertRows('events', columns, rows), 2);
        const back = await store.query<Record<string, unknown>>(`SELECT ${columns.join(', ')} FROM events ORDER BY message_id`);
        assert.deepEqual(back, [
          { customer_id: 'c1', message_id: 'm"1', type: 'track', name: '含 "引号" 和 \\ 的事件', properties: { nested: { a: [1, 2] }, s: "it's" }, context: null, user_id: null, anonymous_id: 'a1', ts: at, received_at: at, source: 'src' },
          { customer_id: 'c1', message_id: 'm2', type: 'page', name: null, properties: {}, context: { ip: '1.2.3.4' }, user_id: 'u1', anonymous_id: null, ts: at, received_at: at, source: null },
        ]);
      });
    });

    it('joins a batch of keys passed as one JSON parameter', async () => {
      await withStore(backend, async (store) => {
        await store.insertRows('products', ['sku', 'name'], [['a', '甲'], ['b', '乙'], ['c', '丙']]);
        const rows = await store.query<{ sku: string; tag: string }>(
          `SELECT p.sku, k.tag FROM products p JOIN ${dialect(store.kind).jsonRows('$1', ['sku', 'tag'])} k ON k.sku = p.sku ORDER BY p.sku`,
          [JSON.stringify([['c', 'x'], ['a', "y'"], ['zz', 'none']])],
        );
        assert.deepEqual(rows, [{ sku: 'a', tag: "y'" }, { sku: 'c', tag: 'x' }]);
      });
    });

    it('closes once however often close is called, and a fork closes without closing the store', async () => {
      const { location, cleanup } = freshLocation(backend);
      const store = await openStore(location);
      try {
        const fork = await store.fork();
        assert.deepEqual(await fork.query('SELECT 1 AS one'), [{ one: 1 }]);
        await fork.close();
        await fork.close();
        assert.deepEqual(await store.query('SELECT 2 AS two'), [{ two: 2 }], 'the store is still open');
      } finally {
        await store.close();
        await store.close();
        await cleanup();
      }
    });

    it('bulk-appends whole rows of every column type, inside the caller\'s transaction, and falls back for partial rows', async () => {
      await withStore(backend, async (store) => {
        await store.execute('CREATE TABLE appended (id TEXT, n INTEGER, big BIGINT, x DOUBLE PRECISION, ok BOOLEAN, doc JSON, ts TIMESTAMPTZ, day DATE, note TEXT)');
        const at = new Date('2026-01-02T03:04:05.678Z');
        const rows = [
          ['b', 2, 9007199254740991, 0.25, false, { k: [1] }, at, '2026-03-04', null],
          ['a', 1, 5, -1.5, true, '{"k":2}', at.toISOString(), new Date('1969-12-31T00:00:00Z'), 'x'],
        ];
        const columns = ['note', 'id', 'n', 'big', 'x', 'ok', 'doc', 'ts', 'day'];
        const reordered = rows.map((r) => [r[8], r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]]);
        assert.equal(await store.appendRows('appended', columns, reordered), 2);
        assert.deepEqual(await store.query('SELECT * FROM appended ORDER BY id'), [
          { id: 'a', n: 1, big: 5, x: -1.5, ok: true, doc: { k: 2 }, ts: at, day: '1969-12-31', note: 'x' },
          { id: 'b', n: 2, big: 9007199254740991, x: 0.25, ok: false, doc: { k: [1] }, ts: at, day: '2026-03-04', note: null },
        ]);
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.appendRows('appended', columns, reordered);
            throw new Error('abort');
          }),
          /abort/,
        );
        assert.equal((await store.query<{ n: number }>('SELECT count(*) AS n FROM appended'))[0]!.n, 2, 'a rolled-back append leaves nothing');
        await store.appendRows('appended', ['id', 'n'], [['c', 3]]);
        assert.deepEqual(await store.query("SELECT id, n, note FROM appended WHERE id = 'c'"), [{ id: 'c', n: 3, note: null }]);
      });
    });

    it('builds JSON objects of any width in SQL, with NULL as null, on both engines', async () => {
      await withStore(backend, async (store) => {
        // 120 keys: more than PostgreSQL's 100-argument limit for one json_build_object call.
        const entries = Array.from({ length: 120 }, (_, i) => [`k${i}`, i % 7 === 0 ? 'CAST(NULL AS INTEGER)' : `${i} * 2`] as const);
        const [row] = await store.query<{ j: Record<string, unknown> }>(`SELECT ${dialect(store.kind).jsonObject([...entries, ["it's", "'quoted'"]])} AS j`);
        assert.equal(Object.keys(row!.j).length, 121);
        assert.equal(row!.j.k0, null);
        assert.equal(row!.j.k1, 2);
        assert.equal(row!.j.k118, 236);
        assert.equal(row!.j.k119, null);
        assert.equal(row!.j["it's"], 'quoted');
      });
    });

    it('returns a result column by column with the same values as row by row', async () => {
      await withStore(backend, async (store) => {
        const sql = `SELECT CAST(n AS BIGINT) AS big, n * 0.5 AS half, CAST('2026-03-0' || CAST(n AS VARCHAR) AS DATE) AS day, CASE WHEN n = 2 THEN NULL ELSE 'v' || CAST(n AS VARCHAR) END AS label
                     FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) AS t ORDER BY n`;
        const rows = await store.query(sql);
        const columns = await store.queryColumns(sql);
        assert.deepEqual(Object.keys(columns), ['big', 'half', 'day', 'label']);
        for (const name of Object.keys(columns)) assert.deepEqual(columns[name], rows.map((r) => r[name]), name);
        assert.deepEqual(columns.day, ['2026-03-01', '2026-03-02', '2026-03-03']);
        assert.deepEqual(columns.label, ['v1', null, 'v3']);
        assert.deepEqual(await store.queryColumns('SELECT 1 AS one WHERE 1 = 0'), { one: [] });
      });
    });

    it('every customer-scoped table has a primary key here or a key in FACT_TABLE_KEYS, so merges can move its rows', async () => {
      await withStore(backend, async (store) => {
        const scoped = await store.query<{ table_name: string }>(
          `SELECT DISTINCT c.table_name FROM information_schema.columns c JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
           WHERE c.column_name = 'customer_id' AND c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY 1`,
        );
        const keyed = new Set((await store.query<{ table_name: string }>(`SELECT table_name FROM information_schema.table_constraints WHERE constraint_type = 'PRIMARY KEY' AND table_schema = current_schema()`)).map((r) => r.table_name));
        const missing = scoped.map((r) => r.table_name).filter((t) => !keyed.has(t) && !(t in FACT_TABLE_KEYS));
        assert.deepEqual(missing, []);
      });
    });

    it('applies the brand timezone explicitly with AT TIME ZONE', async () => {
      await withStore(backend, async (store) => {
        const [row] = await store.query<{ day: string }>(
          `SELECT CAST(CAST('2024-03-31T17:30:00Z' AS TIMESTAMPTZ) AT TIME ZONE 'Asia/Shanghai' AS DATE) AS day`,
        );
        assert.equal(row?.day, '2024-04-01');
      });
    });
  });
}

describe('the embedded store', () => {
  it('caps DuckDB memory with SIYU_DUCKDB_MEMORY_LIMIT, and names the variable when the value is not a size', async () => {
    const saved = process.env.SIYU_DUCKDB_MEMORY_LIMIT;
    try {
      process.env.SIYU_DUCKDB_MEMORY_LIMIT = '512MB';
      const store = await openStore(':memory:');
      const [row] = await store.query<{ limit: string }>("SELECT current_setting('memory_limit') AS limit");
      await store.close();
      assert.match(row!.limit, /^(488\.2 MiB|512\.0 MB|512MB)$/);
      process.env.SIYU_DUCKDB_MEMORY_LIMIT = 'lots';
      await assert.rejects(openStore(':memory:'), (e: unknown) => isSiyuError(e) && e.code === 'invalid_memory_limit' && /SIYU_DUCKDB_MEMORY_LIMIT="lots"/.test(e.message));
    } finally {
      if (saved === undefined) delete process.env.SIYU_DUCKDB_MEMORY_LIMIT;
      else process.env.SIYU_DUCKDB_MEMORY_LIMIT = saved;
    }
  });
});
