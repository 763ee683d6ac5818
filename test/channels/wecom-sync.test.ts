import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SIMULATOR_CREDENTIALS, startProviderSimulators, syncWecom, TOKENS, upsertChannel, wecomSyncChanges, type ProviderSimulators } from '../../src/channels/index.ts';
import { SiyuError } from '../../src/core/errors.ts';
import { BUILT_IN_JOBS, getJobDefinition, runJob } from '../../src/jobs/index.ts';
import { configureMasterKey, decryptText, eraseCustomer, findEncryptedColumn, keyRingFor, openPii, recordConsents, rowKey } from '../../src/privacy/index.ts';
import { previewSegment } from '../../src/segment/index.ts';
import type { Store } from '../../src/store/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';

const T0 = new Date('2026-06-01T04:00:00Z');
const later = (hours: number) => new Date(T0.getTime() + hours * 3_600_000);
const { corp_id, secret } = SIMULATOR_CREDENTIALS.wecom;

async function setUp(store: Store, sims: ProviderSimulators, settings: Record<string, unknown> = {}) {
  configureMasterKey(store, { masterKey: randomBytes(32) });
  await upsertChannel(store, { name: 'wecom', provider: 'wecom', settings: { endpoint: `${sims.url}/wecom`, corp_id, sender: 'staff1', ...settings }, secrets: { secret } });
}

/** Everything a sync writes, in a fixed order, for comparing two runs. */
async function snapshot(store: Store) {
  return {
    customers: await store.query('SELECT customer_id, name, gender, updated_at, merged_into FROM customers ORDER BY customer_id'),
    identities: await store.query('SELECT type, value, customer_id FROM identities ORDER BY type, value'),
    follows: await store.query('SELECT * FROM wecom_follows ORDER BY external_userid, userid'),
    reachability: await store.query('SELECT * FROM channel_reachability ORDER BY customer_id'),
    groups: await store.query('SELECT * FROM wecom_groups ORDER BY chat_id'),
    members: await store.query('SELECT * FROM wecom_group_members ORDER BY chat_id, external_userid'),
    staff: await store.query('SELECT * FROM wecom_group_staff ORDER BY chat_id, userid'),
  };
}

const owner = async (store: Store, type: string, value: string) => (await store.query<{ customer_id: string }>('SELECT customer_id FROM identities WHERE type = $1 AND value = $2', [type, value]))[0]?.customer_id;
const reachability = async (store: Store, customerId: string) => (await store.query<{ is_reachable: boolean; reason: string }>(`SELECT is_reachable, reason FROM channel_reachability WHERE customer_id = $1 AND channel = 'wecom'`, [customerId]))[0];

for (const backend of BACKENDS) {
  describe(`WeCom contact and group sync through the simulator on ${backend}`, () => {
    test('contacts become customers with external_userid and unionid identities, a known unionid joins its customer, names and remarks are sealed, a second run changes nothing, and a contact gone is unfollowed and unreachable until followed again', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 7, withMail: false });
        try {
          await setUp(store, sims);
          await store.insertRows('customers', ['customer_id', 'name', 'traits', 'created_at', 'updated_at'], [['m1', null, '{}', T0, T0]]);
          await store.insertRows('identities', ['type', 'value', 'customer_id', 'created_at'], [['unionid', 'oU-known', 'm1', T0]]);
          const dir = sims.wechat.directory;
          dir.addContact('staff1', { external_userid: 'ext1', name: '王芳', gender: 2, unionid: 'oU-known' }, { remark: '王芳 VIP', tag_id: ['etVIP'], createtime: 1_780_000_000 });
          dir.addContact('staff1', { external_userid: 'ext2', name: '李伟', gender: 1 });
          dir.addContact('staff2', { external_userid: 'ext2', name: '李伟', gender: 1 }, { state: 'store-12' });
          dir.addContact('staff2', { external_userid: 'ext3', name: '张敏', unionid: 'oU3' });

          const first = await syncWecom(store, 'wecom', { now: T0 });
          assert.deepEqual(
            { members: first.members, people: first.people, contacts: first.contacts, reachability: first.reachability },
            {
              members: 2,
              people: { customersCreated: 2, identitiesAdded: 4, joinedExisting: 1, merges: 0, skippedErased: 0 },
              contacts: { seen: 3, follows: 4, followsAdded: 4, followsChanged: 0, refollowed: 0, unfollowed: 0 },
              reachability: { unreachable: 1, reachable: 0 },
            },
          );
          assert.equal(await owner(store, 'external_userid', 'ext1'), 'm1', 'the unionid a customer already had joined the contact to them');
          assert.equal(await owner(store, 'external_userid', 'ext2'), 'external_userid:ext2');
          assert.deepEqual([await owner(store, 'external_userid', 'ext3'), await owner(store, 'unionid', 'oU3')], ['unionid:oU3', 'unionid:oU3']);
          const ring = await keyRingFor(store);
          const [m1] = await store.query<{ name: string; gender: string }>(`SELECT name, gender FROM customers WHERE customer_id = 'm1'`);
          assert.match(m1!.name, /^e1:/, 'the name is sealed');
          assert.deepEqual([openPii(ring, m1!.name), m1!.gender], ['王芳', 'f']);
          const [follow] = await store.query<{ remark: string; tag_ids: unknown; followed_at: Date; is_following: boolean }>(`SELECT remark, tag_ids, followed_at, is_following FROM wecom_follows WHERE external_userid = 'ext1'`);
          assert.match(follow!.remark, /^e1:/);
          assert.equal(follow!.followed_at.getTime(), 1_780_000_000_000);
          assert.deepEqual(typeof follow!.tag_ids === 'string' ? JSON.parse(follow!.tag_ids) : follow!.tag_ids, ['etVIP']);
          assert.deepEqual(await reachability(store, 'unionid:oU3'), { is_reachable: false, reason: 'contact sync: not a contact of the sender' }, 'followed only by staff2, so staff1 cannot mass-send to them');
          await recordConsents(store, ['m1', 'external_userid:ext2', 'unionid:oU3'].map((customerId) => ({ customerId, purpose: 'wecom_message', status: 'granted' as const, source: 'test', effectiveAt: T0 })));
          const segment = async (definition: unknown) => (await previewSegment(store, definition, { asOf: '2026-06-01' })).sample.map((c) => c.customerId);
          assert.deepEqual(await segment({ reachable: 'wecom' }), ['external_userid:ext2', 'm1'], 'reachable on WeCom: an external_userid, not marked unreachable');
          assert.deepEqual(await segment({ field: 'wecom_followers', op: '>=', value: 2 }), ['external_userid:ext2']);

          const before = await snapshot(store);
          const second = await syncWecom(store, 'wecom', { now: later(1) });
          assert.equal(wecomSyncChanges(second), 0);
          assert.deepEqual(await snapshot(store), before, 'a second run over the same directory changes nothing');

          dir.removeContact('staff1', 'ext1');
          const third = await syncWecom(store, 'wecom', { now: later(2) });
          assert.deepEqual([third.contacts.unfollowed, third.reachability.unreachable], [1, 1]);
          const [gone] = await store.query<{ is_following: boolean; unfollowed_at: Date }>(`SELECT is_following, unfollowed_at FROM wecom_follows WHERE external_userid = 'ext1'`);
          assert.deepEqual(gone, { is_following: false, unfollowed_at: later(2) }, 'kept, marked not followed');
          assert.deepEqual(await reachability(store, 'm1'), { is_reachable: false, reason: 'contact sync: no member follows them any more' });
          assert.equal(await owner(store, 'external_userid', 'ext1'), 'm1', 'the identity stays');

          dir.addContact('staff1', { external_userid: 'ext1', name: '王芳', unionid: 'oU-known' }, { remark: '王芳 VIP', tag_id: ['etVIP'], createtime: 1_780_000_000 });
          const fourth = await syncWecom(store, 'wecom', { now: later(3) });
          assert.deepEqual([fourth.contacts.refollowed, fourth.reachability.reachable], [1, 1]);
          assert.deepEqual(await reachability(store, 'm1'), { is_reachable: true, reason: 'contact sync: followed' });
        } finally {
          await sims.stop();
        }
      }));

    test('pages through many members and contacts, and a token that expires mid-sync is fetched again once and the sync continues', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 11, withMail: false, wecomDirectory: { members: 5, contacts: 60, unionidShare: 0.5 } });
        try {
          await setUp(store, sims, { sync_members_per_request: 2, sync_page_size: 7 });
          const pairs = [...sims.wechat.contacts.values()].reduce((n, s) => n + s.size, 0);
          TOKENS.invalidate(TOKENS.key(corp_id, secret));
          const fetched = sims.wechat.tokenFetches;
          sims.wechat.expireTokensAfter(6);
          const report = await syncWecom(store, 'wecom', { now: T0 });
          assert.equal(sims.wechat.tokenFetches, fetched + 2, 'the first token, and one more after it expired');
          assert.ok((sims.wechat.calls.get('/wecom/cgi-bin/externalcontact/batch/get_by_user') ?? 0) >= Math.ceil(pairs / 7), 'several pages');
          assert.deepEqual([report.contacts.seen, report.contacts.follows, report.members], [60, pairs, 5]);
          const [row] = await store.query<{ n: number; c: number }>(`SELECT count(*) AS n, count(DISTINCT external_userid) AS c FROM wecom_follows WHERE is_following`);
          assert.deepEqual([Number(row!.n), Number(row!.c)], [pairs, 60]);
          const [ids] = await store.query<{ n: number }>(`SELECT count(*) AS n FROM identities WHERE type = 'external_userid'`);
          assert.equal(Number(ids!.n), 60);
          assert.equal(wecomSyncChanges(await syncWecom(store, 'wecom', { now: later(1) })), 0);
        } finally {
          await sims.stop();
        }
      }));

    test('group chats: external members are customers linked by external_userid or unionid, staff are kept by userid, an unchanged group is skipped, a member who leaves is marked left, a dismissed group is gone', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 3, withMail: false });
        try {
          await setUp(store, sims);
          await store.insertRows('customers', ['customer_id', 'traits', 'created_at', 'updated_at'], [['m9', '{}', T0, T0]]);
          await store.insertRows('identities', ['type', 'value', 'customer_id', 'created_at'], [['unionid', 'oU9', 'm9', T0]]);
          const dir = sims.wechat.directory;
          dir.addContact('staff1', { external_userid: 'ext1', name: '王芳', unionid: 'oU1' });
          dir.addGroup({
            chat_id: 'wr1',
            name: '会员福利群',
            owner: 'staff1',
            admins: ['staff2'],
            create_time: 1_780_000_000,
            members: [
              { userid: 'staff1', type: 1 },
              { userid: 'staff2', type: 1, invitor: 'staff1' },
              { userid: 'ext1', type: 2, unionid: 'oU1', group_nickname: '小王', name: '王芳', join_scene: 3 },
              { userid: 'ext9', type: 2, unionid: 'oU9', name: '赵静' },
              { userid: 'ext8', type: 2, name: '周洋', invitor: 'staff1' },
            ],
          });
          const first = await syncWecom(store, 'wecom', { groups: true, now: T0 });
          assert.deepEqual(first.groups, { seen: 1, added: 1, changed: 0, unchanged: 0, gone: 0, members: 3, staff: 2, joined: 3, left: 0 });
          assert.equal(await owner(store, 'external_userid', 'ext9'), 'm9', 'linked by the unionid a customer had');
          assert.equal(await owner(store, 'external_userid', 'ext8'), 'external_userid:ext8');
          const members = await store.query<{ customer_id: string; external_userid: string; group_nickname: string | null; join_scene: number; is_member: boolean }>(`SELECT customer_id, external_userid, group_nickname, join_scene, is_member FROM wecom_group_members ORDER BY external_userid`);
          assert.deepEqual(members.map((m) => [m.customer_id, m.external_userid, m.is_member]), [['unionid:oU1', 'ext1', true], ['external_userid:ext8', 'ext8', true], ['m9', 'ext9', true]]);
          assert.match(members[0]!.group_nickname!, /^e1:/, 'the group nickname is sealed');
          assert.equal(decryptText(await keyRingFor(store), findEncryptedColumn('wecom_group_members', 'group_nickname')!, rowKey(['wecom', 'wr1', 'ext1']), members[0]!.group_nickname!), '小王');
          assert.deepEqual(await store.query(`SELECT userid, is_admin, invitor FROM wecom_group_staff ORDER BY userid`), [{ userid: 'staff1', is_admin: false, invitor: null }, { userid: 'staff2', is_admin: true, invitor: 'staff1' }]);
          const [group] = await store.query<{ name: string; owner: string; member_count: number; created_at: Date; is_listed: boolean }>(`SELECT name, owner, member_count, created_at, is_listed FROM wecom_groups`);
          assert.deepEqual({ ...group, member_count: Number(group!.member_count) }, { name: '会员福利群', owner: 'staff1', member_count: 5, created_at: new Date(1_780_000_000_000), is_listed: true });
          assert.deepEqual(await reachability(store, 'external_userid:ext8'), { is_reachable: false, reason: 'contact sync: a member of a customer group, not a contact' });
          assert.equal(await reachability(store, 'unionid:oU1'), undefined, 'a contact of the sender stays reachable');
          assert.equal((await previewSegment(store, { field: 'wecom_groups', op: '>', value: 0 }, { asOf: '2026-06-01' })).count, 3);

          const before = await snapshot(store);
          const again = await syncWecom(store, 'wecom', { groups: true, now: later(1) });
          assert.equal(wecomSyncChanges(again), 0);
          assert.equal(again.groups!.unchanged, 1, 'the same member_version: members not compared');
          assert.deepEqual(await snapshot(store), before);

          dir.leaveGroup('wr1', 'ext8');
          const left = await syncWecom(store, 'wecom', { groups: true, now: later(2) });
          assert.deepEqual([left.groups!.changed, left.groups!.left, left.groups!.joined], [1, 1, 0]);
          assert.deepEqual(await store.query(`SELECT is_member, left_at FROM wecom_group_members WHERE external_userid = 'ext8'`), [{ is_member: false, left_at: later(2) }]);

          dir.dismissGroup('wr1');
          const gone = await syncWecom(store, 'wecom', { groups: true, now: later(3) });
          assert.deepEqual([gone.groups!.seen, gone.groups!.gone, gone.groups!.left], [0, 1, 2]);
          assert.deepEqual(await store.query(`SELECT is_listed, gone_at FROM wecom_groups`), [{ is_listed: false, gone_at: later(3) }]);
          assert.deepEqual(await store.query(`SELECT count(*) AS n FROM wecom_group_staff WHERE is_member`).then((r) => Number((r[0] as { n: number }).n)), 0);
        } finally {
          await sims.stop();
        }
      }));

    test('the wecom-sync job is skipped without a WeCom channel and syncs one; an erased person is not recreated; a WeCom error stops the sync before anything is marked gone', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 5, withMail: false });
        try {
          const job = getJobDefinition(BUILT_IN_JOBS, 'wecom-sync');
          const idle = await runJob(store, job, { trigger: 'cli', now: T0 });
          assert.deepEqual([idle?.status, idle?.summary], ['skipped', 'no WeCom channel is configured (siyu channels add NAME --provider wecom)']);

          await setUp(store, sims, { sync_page_size: 1 });
          const dir = sims.wechat.directory;
          dir.addContact('staff1', { external_userid: 'ext1', name: '王芳', unionid: 'oU1' });
          dir.addContact('staff1', { external_userid: 'ext2', name: '李伟' });
          const run = await runJob(store, job, { trigger: 'cli', now: T0 });
          assert.equal(run?.status, 'succeeded');
          assert.match(run!.summary!, /^wecom: 1 members; 2 contacts in 2 follow relations \(2 new/);

          const ring = await keyRingFor(store);
          await store.transaction((tx) => eraseCustomer(tx, ring, 'unionid:oU1', 'req-1', later(1)));
          const after = await syncWecom(store, 'wecom', { now: later(2) });
          assert.deepEqual([after.people.skippedErased, after.people.customersCreated, await owner(store, 'external_userid', 'ext1')], [1, 0, undefined], 'the contact list does not undo an erasure');

          dir.removeContact('staff1', 'ext2');
          dir.addContact('staff1', { external_userid: 'ext3', name: '张敏' });
          sims.wechat.failAfter(2);
          await assert.rejects(syncWecom(store, 'wecom', { now: later(3) }), (e: unknown) => e instanceof SiyuError && e.kind === 'unavailable' && /batch\/get_by_user: 60011/.test(e.message));
          assert.deepEqual(await store.query(`SELECT is_following FROM wecom_follows WHERE external_userid = 'ext2'`), [{ is_following: true }], 'a sync that could not list everything marks nothing gone');
          sims.wechat.failAfter(undefined);
          assert.equal((await syncWecom(store, 'wecom', { now: later(4) })).contacts.unfollowed, 1);
        } finally {
          await sims.stop();
        }
      }));
  });
}
