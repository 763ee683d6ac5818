import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SIMULATOR_CREDENTIALS, startProviderSimulators, upsertChannel } from '../../src/channels/index.ts';
import { configureMasterKey } from '../../src/privacy/index.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { siyuInProcess as siyu } from '../helpers/cli.ts';

for (const backend of BACKENDS) {
  describe(`siyu channels sync on ${backend}`, () => {
    test('syncs a WeCom channel with progress and a summary, or a JSON report; a channel that is not WeCom or does not exist is one clear error', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 2, withMail: false, wecomDirectory: { members: 2, contacts: 12, groups: 2 } });
        try {
          configureMasterKey(store, { masterKey: randomBytes(32) });
          await upsertChannel(store, { name: 'wecom', provider: 'wecom', settings: { endpoint: `${sims.url}/wecom`, corp_id: SIMULATOR_CREDENTIALS.wecom.corp_id, sync_page_size: 5 }, secrets: { secret: SIMULATOR_CREDENTIALS.wecom.secret } });
          const first = await siyu(store, 'channels', 'sync', 'wecom', '--groups');
          assert.equal(first.exitCode, 0, first.stderr);
          assert.match(first.stderr, /^ {2}2 members with the customer contact feature\n {2}contacts: 5 listed\n/);
          assert.match(first.stderr, /groups: 2 of 2\n$/);
          const lines = first.stdout.trim().split('\n');
          assert.match(lines[0]!, /^wecom: 2 members; 12 contacts in \d+ follow relations \(\d+ new, 0 changed, 0 followed again, 0 unfollowed\)$/);
          assert.match(lines[1]!, /^customers: 12 created, \d+ identities added, 0 joined to existing customers, 0 merged$/);
          assert.match(lines[2]!, /^groups: 2 \(2 new, 0 changed, 0 gone, 0 with the same members\); \d+ customer members, 2 staff; \d+ joined, 0 left$/);

          const again = await siyu(store, 'channels', 'sync', 'wecom', '--groups', '--json');
          assert.equal(again.stderr, '', 'no progress lines with --json');
          const report = JSON.parse(again.stdout);
          assert.deepEqual([report.people.customersCreated, report.contacts.followsAdded, report.groups.unchanged], [0, 0, 2]);

          await upsertChannel(store, { name: 'sms', provider: 'aliyun_sms', settings: { sign_name: '思域演示' }, secrets: { access_key_id: 'a', access_key_secret: 'b' } });
          assert.deepEqual(await siyu(store, 'channels', 'sync', 'sms'), { stdout: '', stderr: 'siyu: channel sms is aliyun_sms: only a wecom channel has a contact list to sync\n', exitCode: 2 });
          assert.equal((await siyu(store, 'channels', 'sync', 'nope')).exitCode, 3);
        } finally {
          await sims.stop();
        }
      }));
  });
}
