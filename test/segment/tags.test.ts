import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isSiyuError } from '../../src/core/errors.ts';
import { computeAttributes, customerTags, defineTag, previewSegment, refreshTags, setTags, tagHistory, uploadTags } from '../../src/segment/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { load } from './fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'siyu-tags-'));

for (const backend of BACKENDS) {
  describe(`tags on ${backend}`, () => {
    test('rule tags follow their definition as data change, with history of every add and remove', () =>
      withStore(backend, async (store) => {
        await load(store);
        await computeAttributes(store, { asOf: '2026-06-30' });
        await defineTag(store, { name: '高价值', kind: 'rule', definition: { attribute: 'monetary_lifetime', op: '>=', value: 1000 } });
        assert.deepEqual(await refreshTags(store, { asOf: '2026-06-30' }), [{ tag: '高价值', members: 2, added: 2, removed: 0 }]);
        assert.deepEqual((await customerTags(store, 'C')).map((t) => [t.tag, t.source, t.setBy]), [['高价值', 'rule', 'rule:高价值']]);
        // F's lines are refunded: F falls below 1,000 and loses the tag at the next refresh.
        await store.execute("UPDATE orders SET status = 'refunded', refunded_fen = total_fen WHERE customer_id = 'F' AND order_id IN (SELECT order_id FROM orders WHERE customer_id = 'F' ORDER BY placed_at LIMIT 2)");
        await computeAttributes(store, { asOf: '2026-06-30' });
        assert.deepEqual(await refreshTags(store, { asOf: '2026-06-30' }), [{ tag: '高价值', members: 1, added: 0, removed: 1 }]);
        assert.deepEqual((await tagHistory(store, 'F')).map((h) => [h.tag, h.action, h.by]), [['高价值', 'added', 'rule:高价值'], ['高价值', 'removed', 'rule:高价值']]);
        assert.equal((await previewSegment(store, { tag: '高价值' }, { asOf: '2026-06-30' })).count, 1, 'segments can test tags');
        assert.equal((await previewSegment(store, { tag: '高价值', op: 'not_exists' }, { asOf: '2026-06-30' })).count, 6);
        await assert.rejects(defineTag(store, { name: 'x', kind: 'rule', definition: { field: 'stage', op: '~' } }), (e: unknown) => isSiyuError(e) && e.details[0]?.path === 'op');
        await assert.rejects(setTags(store, '高价值', ['A'], 'me'), (e: unknown) => isSiyuError(e) && e.code === 'rule_tag');
      }));

    test('manual tags by list, CSV upload or API, refusing unknown customers with where they were', () =>
      withStore(backend, async (store) => {
        await load(store);
        assert.deepEqual(await setTags(store, '门店会员', ['A', 'B', 'A'], 'wang'), { changed: 2 });
        assert.deepEqual(await setTags(store, '门店会员', ['A'], 'wang'), { changed: 0 }, 'already tagged');
        const good = join(dir, `ok-${backend}.csv`);
        writeFileSync(good, 'customer_id,note\nC,x\n\nD,y\n');
        assert.deepEqual(await uploadTags(store, '直播观众', good, 'upload:ok.csv'), { changed: 2, rows: 2 });
        const bad = join(dir, `bad-${backend}.csv`);
        writeFileSync(bad, 'customer_id\nC\nnobody\n');
        await assert.rejects(uploadTags(store, '直播观众', bad, 'upload'), (e: unknown) => isSiyuError(e) && e.code === 'unknown_customers' && e.details[0]?.line === 3 && e.details[0]?.file === bad);
        await setTags(store, '门店会员', ['B'], 'li', 'remove');
        assert.deepEqual((await customerTags(store, 'B')).map((t) => t.tag), []);
        assert.deepEqual((await tagHistory(store, 'B')).map((h) => [h.action, h.by]), [['added', 'wang'], ['removed', 'li']]);
        const app = await buildServerAs(store);
        try {
          assert.equal((await app.inject({ method: 'POST', url: '/v1/customers/E/tags', payload: { tag: 'VIP' } })).statusCode, 200);
          const listed = await app.inject({ url: '/v1/customers/E/tags' });
          assert.deepEqual(listed.json().tags.map((t: { tag: string; setBy: string }) => [t.tag, /^key:[\w-]{8}$/.test(t.setBy)]), [['VIP', true]], 'set by the calling key');
          assert.equal((await app.inject({ method: 'DELETE', url: '/v1/customers/E/tags/VIP' })).statusCode, 200);
          assert.equal((await app.inject({ method: 'POST', url: '/v1/customers/nobody/tags', payload: { tag: 'VIP' } })).statusCode, 404);
          assert.equal((await app.inject({ method: 'POST', url: '/v1/customers/E/tags', payload: { tag: 'bad tag!' } })).statusCode, 400);
        } finally {
          await app.close();
        }
      }));
  });
}
