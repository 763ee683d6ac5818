import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { deleteGroupWelcomeTemplate, listGroupWelcomeTemplates, SIMULATOR_CREDENTIALS, startProviderSimulators, upsertChannel, upsertGroupWelcomeTemplate } from '../../src/channels/index.ts';
import { SiyuError } from '../../src/core/errors.ts';
import { configureMasterKey } from '../../src/privacy/index.ts';
import { buildServerAs, jsonCaller } from '../helpers/auth.ts';
import { BACKENDS, withStore } from '../helpers/backends.ts';
import { siyuInProcess as siyu } from '../helpers/cli.ts';

const { corp_id, secret } = SIMULATOR_CREDENTIALS.wecom;
const rejects = (kind: SiyuError['kind'], pattern: RegExp) => (e: unknown) => e instanceof SiyuError && e.kind === kind && pattern.test(e.message);

for (const backend of BACKENDS) {
  describe(`WeCom group welcome templates through the simulator on ${backend}`, () => {
    test('a template is added at WeCom with the template_id kept, edited in place, listed and removed, over the API and the CLI', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 4, withMail: false });
        configureMasterKey(store, { masterKey: randomBytes(32) });
        await upsertChannel(store, { name: 'wecom', provider: 'wecom', settings: { endpoint: `${sims.url}/wecom`, corp_id }, secrets: { secret } });
        const app = await buildServerAs(store);
        const call = jsonCaller(app);
        const stored = sims.wechat.welcomeTemplates.templates;
        try {
          const added = await upsertGroupWelcomeTemplate(store, 'wecom', 'vip', { text: '欢迎 %NICKNAME% 加入会员群', link: { title: '会员权益', url: 'https://brand.example/vip' } });
          assert.match(added.templateId, /^msg\d+$/);
          assert.deepEqual(stored.get(added.templateId), { text: { content: '欢迎 %NICKNAME% 加入会员群' }, link: { title: '会员权益', url: 'https://brand.example/vip' } });
          assert.deepEqual(added.attachment, { kind: 'link', title: '会员权益', url: 'https://brand.example/vip' });

          const edited = await call('PUT', '/v1/channels/wecom/group-welcome-templates/vip', { text: '欢迎新朋友', image: { pic_url: 'https://wework.qpic.cn/welcome.png' } });
          assert.equal(edited.templateId, added.templateId, 'edited in place: the same template_id');
          assert.deepEqual(stored.get(added.templateId), { text: { content: '欢迎新朋友' }, image: { pic_url: 'https://wework.qpic.cn/welcome.png' } });
          assert.equal(stored.size, 1);

          const cli = await siyu(store, 'channels', 'group-welcome', 'add', 'wecom', 'store', '--text', '欢迎到店', '--miniprogram-title', '领券', '--miniprogram-appid', 'wx123', '--miniprogram-page', 'pages/coupon.html', '--miniprogram-pic-media-id', 'MEDIA1');
          assert.equal(cli.exitCode, 0, cli.stderr);
          assert.match(cli.stdout, /^group welcome template wecom\/store \(msg\d+\): 欢迎到店 {2}\+ miniprogram saved\n$/);
          assert.equal(stored.size, 2);
          const listed = await call('GET', '/v1/channels/wecom/group-welcome-templates');
          assert.deepEqual(listed.templates.map((t: { name: string; text: string; attachment: { kind: string } }) => [t.name, t.text, t.attachment.kind]), [['store', '欢迎到店', 'miniprogram'], ['vip', '欢迎新朋友', 'image']]);
          assert.match((await siyu(store, 'channels', 'group-welcome', 'list', 'wecom')).stdout, /^wecom\/store \(msg\d+\): 欢迎到店 {2}\+ miniprogram\nwecom\/vip/);

          assert.deepEqual(await call('DELETE', '/v1/channels/wecom/group-welcome-templates/vip'), { removed: 'vip', templateId: added.templateId });
          assert.equal(stored.has(added.templateId), false, 'removed at WeCom');
          const store2 = [...stored.keys()][0]!;
          stored.delete(store2);
          const gone = await siyu(store, 'channels', 'group-welcome', 'remove', 'wecom', 'store');
          assert.equal(gone.exitCode, 0, 'one WeCom no longer knows is removed here all the same');
          assert.deepEqual(await listGroupWelcomeTemplates(store, 'wecom'), []);
          const audit = await store.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE 'channels.group_welcome.%' ORDER BY seq`);
          assert.deepEqual(audit.map((a) => a.action), ['channels.group_welcome.add', 'channels.group_welcome.edit', 'channels.group_welcome.add', 'channels.group_welcome.delete', 'channels.group_welcome.delete']);
        } finally {
          await app.close();
          await sims.stop();
        }
      }));

    test('bad input is refused with what and where, and nothing is registered', () =>
      withStore(backend, async (store) => {
        const sims = await startProviderSimulators({ seed: 4, withMail: false });
        configureMasterKey(store, { masterKey: randomBytes(32) });
        await upsertChannel(store, { name: 'wecom', provider: 'wecom', settings: { endpoint: `${sims.url}/wecom`, corp_id }, secrets: { secret } });
        await upsertChannel(store, { name: 'sms', provider: 'aliyun_sms', settings: { sign_name: '思域' }, secrets: { access_key_id: 'a', access_key_secret: 'b' } });
        const app = await buildServerAs(store);
        try {
          const cases: [title: string, run: () => Promise<unknown>, check: (e: unknown) => boolean][] = [
            ['an unknown channel', () => upsertGroupWelcomeTemplate(store, 'nope', 'vip', { text: 'hi' }), rejects('not_found', /no channel "nope"/)],
            ['a channel that is not WeCom', () => upsertGroupWelcomeTemplate(store, 'sms', 'vip', { text: 'hi' }), rejects('validation', /channel sms is aliyun_sms: only a wecom channel has group welcome templates/)],
            ['no text', () => upsertGroupWelcomeTemplate(store, 'wecom', 'vip', { image: { pic_url: 'https://x.example/a.png' } }), rejects('validation', /text: the welcome text is required/)],
            ['empty text', () => upsertGroupWelcomeTemplate(store, 'wecom', 'vip', { text: '' }), rejects('validation', /text: the welcome text is required/)],
            ['text over 4,000 bytes', () => upsertGroupWelcomeTemplate(store, 'wecom', 'vip', { text: '欢'.repeat(1400) }), rejects('validation', /text: at most 4,000 bytes/)],
            ['two attachments', () => upsertGroupWelcomeTemplate(store, 'wecom', 'vip', { text: 'hi', image: { media_id: 'M1' }, link: { title: 't', url: 'https://x.example' } }), rejects('validation', /image: at most one attachment/)],
            ['a link without its url', () => upsertGroupWelcomeTemplate(store, 'wecom', 'vip', { text: 'hi', link: { title: 't' } }), rejects('validation', /link\.url: /)],
            ['a bad name', () => upsertGroupWelcomeTemplate(store, 'wecom', 'v i p', { text: 'hi' }), rejects('validation', /name: a template name/)],
            ['removing one not registered', () => deleteGroupWelcomeTemplate(store, 'wecom', 'vip'), rejects('not_found', /no group welcome template "vip" on channel wecom/)],
          ];
          for (const [title, run, check] of cases) await assert.rejects(run(), check, title);
          assert.equal(sims.wechat.welcomeTemplates.templates.size, 0);
          assert.deepEqual(await listGroupWelcomeTemplates(store), []);

          const http = await app.inject({ method: 'PUT', url: '/v1/channels/wecom/group-welcome-templates/vip', payload: { image: { pic_url: 'https://x.example/a.png' } } });
          assert.equal(http.statusCode, 400);
          assert.match(http.body, /text/);
          assert.equal((await app.inject({ method: 'PUT', url: '/v1/channels/nope/group-welcome-templates/vip', payload: { text: 'hi' } })).statusCode, 404);
          const cli = await siyu(store, 'channels', 'group-welcome', 'add', 'wecom', 'vip', '--link-title', '会员');
          assert.equal(cli.exitCode, 2);
          assert.match(cli.stderr, /text: the welcome text is required.*link\.url/);
        } finally {
          await app.close();
          await sims.stop();
        }
      }));
  });
}
