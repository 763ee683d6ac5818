import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { SIMULATOR_CREDENTIALS, startProviderSimulators, syncWecom, upsertChannel, wecomEncrypt, wecomSignature, wecomSyncChanges, type ProviderSimulators } from '../../src/channels/index.ts';
import { configureMasterKey } from '../../src/privacy/index.ts';
import { previewSegment } from '../../src/segment/index.ts';
import type { Store } from '../../src/store/index.ts';
import { buildServerAs } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const T0 = new Date('2026-06-01T04:00:00Z');
const later = (hours: number) => new Date(T0.getTime() + hours * 3_600_000);
const { corp_id, secret } = SIMULATOR_CREDENTIALS.wecom;
const AES_KEY = randomBytes(32).toString('base64').slice(0, 43);
const TOKEN = 'cbtoken';
const API = '/wecom/cgi-bin/externalcontact';

async function setUp(store: Store, sims: ProviderSimulators) {
  configureMasterKey(store, { masterKey: randomBytes(32) });
  await upsertChannel(store, { name: 'wecom', provider: 'wecom', settings: { endpoint: `${sims.url}/wecom`, corp_id, sender: 'staff1' }, secrets: { secret, callback_token: TOKEN, encoding_aes_key: AES_KEY } });
  sims.wechat.directory.addTagGroup({ group_id: 'etG1', group_name: '会员等级', tags: [{ id: 'etGOLD', name: '金卡' }, { id: 'etSILVER', name: '银卡' }] });
  sims.wechat.directory.addTagGroup({ group_id: 'etG2', group_name: '兴趣', tags: [{ id: 'etTEA', name: '茶' }] });
}

/** A WeCom customer's tags as the customer API shows them. */
const tagsOf = async (app: FastifyInstance, customerId: string) => ((await app.inject({ url: `/v1/customers/${encodeURIComponent(customerId)}/tags` })).json() as { tags: { tag: string; source: string; setBy: string }[] }).tags.map((t) => `${t.tag} ${t.source} ${t.setBy}`);
const reachability = async (store: Store, customerId: string) => (await store.query<{ is_reachable: boolean; reason: string }>(`SELECT is_reachable, reason FROM channel_reachability WHERE customer_id = $1 AND channel = 'wecom'`, [customerId]))[0];

/** Posts one event to the callback URL as WeCom does: the XML encrypted and signed. */
async function post(app: FastifyInstance, fields: Record<string, string | number>) {
  const created = Math.floor(Date.now() / 1000);
  const xml = `<xml><ToUserName><![CDATA[${corp_id}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${fields.CreateTime ?? created}</CreateTime><MsgType><![CDATA[event]]></MsgType>${Object.entries(fields)
    .filter(([k]) => k !== 'CreateTime')
    .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
    .join('')}</xml>`;
  const encrypt = wecomEncrypt(AES_KEY, xml, corp_id);
  const nonce = String(Math.floor(Math.random() * 1e9));
  const url = `/v1/channels/wecom/wecom?msg_signature=${wecomSignature(TOKEN, String(created), nonce, encrypt)}&timestamp=${created}&nonce=${nonce}`;
  return app.inject({ method: 'POST', url, payload: `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`, headers: { authorization: '', 'content-type': 'text/xml' } });
}

/** The API calls the simulator saw since the last call of this, by API name. */
function callsSince(sims: ProviderSimulators): () => Record<string, number> {
  const base = new Map(sims.wechat.calls);
  return () => {
    const out: Record<string, number> = {};
    for (const [path, n] of sims.wechat.calls) if (n !== (base.get(path) ?? 0)) out[path.replace(`${API}/`, '')] = n - (base.get(path) ?? 0);
    return out;
  };
}

for (const backend of BACKENDS) {
  describe(`WeCom corp tags and directory callbacks through the simulator on ${backend}`, () => {
    test('corp tags become wecom:<group>/<name> customer tags, follow a rename, and go when the member removes the tag, the tag is deleted or the contact unfollows; a tag set by hand is left alone', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 7, withMail: false });
        await setUp(store, sims);
        const app = await buildServerAs(store);
        try {
          const dir = sims.wechat.directory;
          dir.addContact('staff1', { external_userid: 'ext1', name: '王芳' }, { tag_id: ['etGOLD', 'etTEA', 'etUNKNOWN'] });
          dir.addContact('staff2', { external_userid: 'ext1', name: '王芳' }, { tag_id: ['etGOLD'] });
          dir.addContact('staff2', { external_userid: 'ext2', name: '李伟' }, { tag_id: ['etSILVER', 'etTEA'] });
          await store.insertRows('customers', ['customer_id', 'traits', 'created_at', 'updated_at'], [['c2', '{}', T0, T0]]);
          await store.insertRows('identities', ['type', 'value', 'customer_id', 'created_at'], [['external_userid', 'ext2', 'c2', T0]]);
          // Siyu's own tag names cannot hold '/', so this stands for a tag of the same name from elsewhere (an old import).
          await store.insertRows('customer_tags', ['customer_id', 'tag', 'source', 'set_by', 'set_at'], [['c2', 'wecom:兴趣/茶', 'manual', 'alice', T0]]);

          const first = await syncWecom(store, 'wecom', { now: T0 });
          assert.deepEqual(first.tags, { corpTags: 3, corpTagsChanged: 3, added: 3, removed: 0 }, 'an id the corp does not list (a personal tag) gives no tag');
          assert.deepEqual(await tagsOf(app, 'external_userid:ext1'), ['wecom:会员等级/金卡 wecom wecom:wecom', 'wecom:兴趣/茶 wecom wecom:wecom'], 'one tag though two members gave it');
          assert.deepEqual(await tagsOf(app, 'c2'), ['wecom:会员等级/银卡 wecom wecom:wecom', 'wecom:兴趣/茶 manual alice'], 'the tag set by hand is not set again');
          assert.equal((await previewSegment(store, { tag: 'wecom:会员等级/金卡' }, { asOf: '2026-06-01' })).count, 1, 'segments read them as any tag');
          assert.equal(wecomSyncChanges(await syncWecom(store, 'wecom', { now: later(1) })), 0, 'a second run changes nothing');

          dir.renameTag('etGOLD', '黑金卡');
          dir.markTags('staff1', 'ext1', ['etGOLD']);
          const renamed = await syncWecom(store, 'wecom', { now: later(2) });
          assert.deepEqual([renamed.tags.corpTagsChanged, renamed.tags.added, renamed.tags.removed], [1, 1, 2]);
          assert.deepEqual(await tagsOf(app, 'external_userid:ext1'), ['wecom:会员等级/黑金卡 wecom wecom:wecom']);
          const history = await store.query<{ tag: string; action: string }>(`SELECT tag, action FROM tag_history WHERE customer_id = 'external_userid:ext1' AND changed_by = 'wecom:wecom' ORDER BY changed_at, action, tag`);
          assert.deepEqual(history.slice(-3).map((h) => `${h.action} ${h.tag}`), ['added wecom:会员等级/黑金卡', 'removed wecom:会员等级/金卡', 'removed wecom:兴趣/茶']);

          dir.deleteTag('etSILVER');
          dir.markTags('staff2', 'ext2', []);
          dir.removeContact('staff1', 'ext1');
          dir.removeContact('staff2', 'ext1');
          const gone = await syncWecom(store, 'wecom', { now: later(3) });
          assert.deepEqual([gone.tags.corpTags, gone.tags.removed], [2, 2]);
          assert.deepEqual(await store.query(`SELECT name, is_deleted FROM wecom_corp_tags WHERE tag_id = 'etSILVER'`), [{ name: '银卡', is_deleted: true }], 'kept, marked deleted');
          assert.deepEqual(await tagsOf(app, 'external_userid:ext1'), [], 'the contact unfollowed: their WeCom tags go');
          assert.deepEqual(await tagsOf(app, 'c2'), ['wecom:兴趣/茶 manual alice'], 'the tag set by hand stays when the member takes theirs away');
        } finally {
          await app.close();
          await sims.stop();
        }
      }));

    test('each callback updates only what it names with one call, is applied once when repeated, and a member deleted while another still follows leaves the customer reachable', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 9, withMail: false });
        await setUp(store, sims);
        const app = await buildServerAs(store);
        try {
          const dir = sims.wechat.directory;
          dir.addContact('staff1', { external_userid: 'ext1', name: '王芳', unionid: 'oU1' }, { tag_id: ['etGOLD'] });
          dir.addContact('staff2', { external_userid: 'ext2', name: '李伟' });
          dir.addGroup({ chat_id: 'wr1', name: '福利群', owner: 'staff1', members: [{ userid: 'staff1', type: 1 }, { userid: 'ext1', type: 2, unionid: 'oU1' }] });
          await syncWecom(store, 'wecom', { groups: true, now: T0 });
          const contact = (change: string, ext: string, userid = 'staff1') => ({ Event: 'change_external_contact', ChangeType: change, UserID: userid, ExternalUserID: ext });

          // A new contact: one get, the customer created with the follow and its tags, nothing listed.
          dir.addContact('staff1', { external_userid: 'ext3', name: '张敏', unionid: 'oU3' }, { tag_id: ['etTEA'], remark: '老客户' });
          let calls = callsSince(sims);
          const added = contact('add_external_contact', 'ext3');
          assert.equal((await post(app, { ...added, CreateTime: 1_790_000_001 })).body, 'success');
          assert.deepEqual(calls(), { get: 1 });
          assert.deepEqual(await tagsOf(app, 'unionid:oU3'), ['wecom:兴趣/茶 wecom wecom:wecom']);
          assert.deepEqual(await store.query(`SELECT userid, is_following FROM wecom_follows WHERE external_userid = 'ext3'`), [{ userid: 'staff1', is_following: true }]);
          calls = callsSince(sims);
          assert.equal((await post(app, { ...added, CreateTime: 1_790_000_001 })).body, 'success', 'a repeat is acknowledged');
          assert.deepEqual(calls(), {}, 'and not applied again');

          // The same event delivered twice at once (WeCom retries after 5 s without an answer): written once.
          dir.addContact('staff2', { external_userid: 'ext4', name: '周洋' }, { tag_id: ['etTEA'] });
          const twice = { ...contact('add_external_contact', 'ext4', 'staff2'), CreateTime: 1_790_000_002 };
          assert.deepEqual((await Promise.all([post(app, twice), post(app, twice)])).map((r) => r.body), ['success', 'success']);
          assert.deepEqual(await store.query(`SELECT customer_id FROM channel_events WHERE kind = 'directory_changed' AND detail = 'change_external_contact/add_external_contact' AND customer_id = 'external_userid:ext4'`), [{ customer_id: 'external_userid:ext4' }]);
          assert.equal((await store.query(`SELECT * FROM tag_history WHERE customer_id = 'external_userid:ext4'`)).length, 1);

          // An edit: the member changed the tags.
          dir.markTags('staff1', 'ext1', ['etSILVER']);
          calls = callsSince(sims);
          await post(app, contact('edit_external_contact', 'ext1'));
          assert.deepEqual(calls(), { get: 1 });
          assert.deepEqual(await tagsOf(app, 'unionid:oU1'), ['wecom:会员等级/银卡 wecom wecom:wecom']);

          // The customer deletes staff2 while staff1 (the sender) still follows: still reachable.
          dir.addContact('staff2', { external_userid: 'ext1', name: '王芳', unionid: 'oU1' });
          await post(app, contact('add_external_contact', 'ext1', 'staff2'));
          dir.removeContact('staff2', 'ext1');
          calls = callsSince(sims);
          await post(app, contact('del_follow_user', 'ext1', 'staff2'));
          assert.deepEqual(calls(), { get: 1 });
          assert.deepEqual(await store.query(`SELECT userid, is_following FROM wecom_follows WHERE external_userid = 'ext1' ORDER BY userid`), [{ userid: 'staff1', is_following: true }, { userid: 'staff2', is_following: false }]);
          assert.equal(await reachability(store, 'unionid:oU1'), undefined, 'never marked unreachable');

          // The last member goes: unreachable, and the WeCom tags go with the relation.
          dir.removeContact('staff1', 'ext1');
          await post(app, contact('del_external_contact', 'ext1'));
          assert.deepEqual(await reachability(store, 'unionid:oU1'), { is_reachable: false, reason: 'callback change_external_contact/del_external_contact: no member follows them any more' });
          assert.deepEqual(await tagsOf(app, 'unionid:oU1'), []);

          // Groups: a member joins, one leaves, the name changes, the group is dismissed; each one groupchat/get at most.
          dir.joinGroup('wr1', { userid: 'ext2', type: 2, name: '李伟' });
          calls = callsSince(sims);
          await post(app, { Event: 'change_external_chat', ChatId: 'wr1', ChangeType: 'update', UpdateDetail: 'add_member', JoinScene: 1, MemChangeCnt: 1 });
          assert.deepEqual(calls(), { 'groupchat/get': 1 });
          assert.deepEqual(await store.query(`SELECT external_userid, is_member FROM wecom_group_members WHERE chat_id = 'wr1' ORDER BY external_userid`), [{ external_userid: 'ext1', is_member: true }, { external_userid: 'ext2', is_member: true }]);
          dir.leaveGroup('wr1', 'ext1');
          dir.groups.get('wr1')!.name = '福利二群';
          await post(app, { Event: 'change_external_chat', ChatId: 'wr1', ChangeType: 'update', UpdateDetail: 'del_member', QuitScene: 0, MemChangeCnt: 1 });
          assert.deepEqual(await store.query(`SELECT external_userid, is_member FROM wecom_group_members WHERE chat_id = 'wr1' ORDER BY external_userid`), [{ external_userid: 'ext1', is_member: false }, { external_userid: 'ext2', is_member: true }]);
          assert.deepEqual(await store.query(`SELECT name, is_listed FROM wecom_groups WHERE chat_id = 'wr1'`), [{ name: '福利二群', is_listed: true }]);
          dir.addGroup({ chat_id: 'wr2', name: '新群', owner: 'staff2', members: [{ userid: 'staff2', type: 1 }, { userid: 'ext9', type: 2, name: '赵静' }] });
          await post(app, { Event: 'change_external_chat', ChatId: 'wr2', ChangeType: 'create' });
          assert.deepEqual(await reachability(store, 'external_userid:ext9'), { is_reachable: false, reason: 'callback change_external_chat/create: a member of a customer group, not a contact' }, 'a new group member is a customer, resolved as the sync does');
          dir.dismissGroup('wr1');
          calls = callsSince(sims);
          await post(app, { Event: 'change_external_chat', ChatId: 'wr1', ChangeType: 'dismiss' });
          assert.deepEqual(calls(), {}, 'a dismissed group is not asked about');
          assert.deepEqual(await store.query(`SELECT is_listed FROM wecom_groups WHERE chat_id = 'wr1'`), [{ is_listed: false }]);
          assert.deepEqual(await store.query(`SELECT count(*) AS n FROM wecom_group_members WHERE chat_id = 'wr1' AND is_member`).then((r) => Number((r[0] as { n: number }).n)), 0);

          // A tag renamed in the admin: one get_corp_tag_list, every holder's tag renamed.
          dir.renameTag('etTEA', '绿茶');
          calls = callsSince(sims);
          await post(app, { Event: 'change_external_tag', Id: 'etTEA', TagType: 'tag', ChangeType: 'update' });
          assert.deepEqual(calls(), { get_corp_tag_list: 1 });
          assert.deepEqual(await tagsOf(app, 'unionid:oU3'), ['wecom:兴趣/绿茶 wecom wecom:wecom']);

          // WeCom cannot answer: refused (WeCom posts it again), nothing recorded; the retry is applied.
          dir.markTags('staff1', 'ext3', ['etGOLD']);
          sims.wechat.failAfter(0, -1, 'system busy');
          const edit = { ...contact('edit_external_contact', 'ext3'), CreateTime: 1_790_000_099 };
          assert.equal((await post(app, edit)).statusCode, 503);
          sims.wechat.failAfter(undefined);
          assert.equal((await post(app, edit)).body, 'success');
          assert.deepEqual(await tagsOf(app, 'unionid:oU3'), ['wecom:会员等级/金卡 wecom wecom:wecom']);

          assert.equal(wecomSyncChanges(await syncWecom(store, 'wecom', { groups: true, now: later(1) })), 0, 'the full sync finds nothing the callbacks missed');
        } finally {
          await app.close();
          await sims.stop();
        }
      }));

    test('the simulated get_corp_tag_list answers with WeCom’s shape, filters by group or tag id, shows a deleted tag only when asked by id, and refuses a bad filter', async () => {
      const sims = await startProviderSimulators({ seed: 1, withMail: false });
      try {
        sims.wechat.directory.addTagGroup({ group_id: 'etG1', group_name: '会员等级', order: 2, tags: [{ id: 'etGOLD', name: '金卡', order: 1 }, { id: 'etSILVER', name: '银卡' }] });
        sims.wechat.directory.deleteTag('etSILVER');
        const token = ((await (await fetch(`${sims.url}/wecom/cgi-bin/gettoken?corpid=${corp_id}&corpsecret=${secret}`)).json()) as { access_token: string }).access_token;
        const ask = async (body: unknown) => (await fetch(`${sims.url}${API}/get_corp_tag_list?access_token=${token}`, { method: 'POST', body: JSON.stringify(body) })).json();
        assert.deepEqual(await ask({}), { errcode: 0, errmsg: 'ok', tag_group: [{ group_id: 'etG1', group_name: '会员等级', create_time: 1_700_000_000, order: 2, tag: [{ id: 'etGOLD', name: '金卡', create_time: 1_700_000_000, order: 1 }] }] });
        assert.deepEqual(((await ask({ tag_id: ['etSILVER'] })) as { tag_group: { tag: unknown[] }[] }).tag_group[0]!.tag, [{ id: 'etSILVER', name: '银卡', create_time: 1_700_000_000, order: 0, deleted: true }]);
        assert.deepEqual(await ask({ tag_id: 'etGOLD' }), { errcode: 40058, errmsg: 'invalid tag_id or group_id: arrays of strings' });
      } finally {
        await sims.stop();
      }
    });
  });
}
