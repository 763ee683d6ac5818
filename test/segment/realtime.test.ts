import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWriteKey } from '../../src/ingest/index.ts';
import { defineTag } from '../../src/segment/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

for (const backend of BACKENDS) {
  describe(`real-time tags on ${backend}`, () => {
    test('three 母婴 views within 7 days tag 育儿需求 as the events are processed; two do not', () =>
      withStore(backend, async (store) => {
        await defineTag(store, { name: '育儿需求', kind: 'realtime', definition: { event: 'Product Viewed', where: [{ property: 'category', op: '=', value: '母婴' }], op: '>=', value: 3, within_days: 7 } });
        const { key } = await createWriteKey(store, 'mini-program');
        const app = await buildServerAs(store);
        try {
          const view = (userId: string, n: number, category = '母婴') =>
            app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(key) }, payload: { userId, event: 'Product Viewed', messageId: `${userId}-${n}`, properties: { category } } });
          for (let n = 0; n < 3; n++) assert.equal((await view('u1', n)).statusCode, 200);
          for (let n = 0; n < 2; n++) await view('u2', n);
          await view('u2', 9, '饮料');
          const tagsOf = async (id: string) => (await app.inject({ url: `/v1/customers/${id}/tags` })).json().tags as { tag: string; source: string; setBy: string }[];
          const deadline = Date.now() + 5000;
          while ((await tagsOf('u1')).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
          assert.deepEqual((await tagsOf('u1')).map((t) => [t.tag, t.source, t.setBy]), [['育儿需求', 'realtime', 'realtime:育儿需求']]);
          assert.deepEqual(await tagsOf('u2'), []);
        } finally {
          await app.close();
        }
        await assert.rejects(defineTag(store, { name: 'x', kind: 'realtime', definition: { field: 'stage', op: '=', value: 'new' } }), /one event condition/);
      }));
  });
}
