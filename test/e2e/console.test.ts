import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import jsqr from 'jsqr';
import { beginTotpEnrolment, confirmTotp, createUser, ensureAdmin, totpCode } from '../../src/access/index.ts';
import { listSegments, previewSegment, saveSegment } from '../../src/segment/index.ts';
import { buildServer } from '../../src/server/index.ts';
import type { Store } from '../../src/store/index.ts';
import { buildConsole, expectedSignedOut, hasChromium, launch, signInAs, watch } from './browser.ts';
import { demoStore } from './demo-store.ts';
import { opened } from '../helpers/pii.ts';

// The console in Debian's Chromium against a real server on a small demo brand, signed in as the demo's admin (the
// credentials `npm run demo` prints come from the same ensureAdmin): every page opens without a console error or a
// failed request, a segment is built and saved with its live count, a profile opens and takes a tag, and the console
// switches to English. The main pages are photographed into docs/console/ for docs/console.md.

const SHOTS = fileURLToPath(new URL('../../docs/console/', import.meta.url));

describe('the console in a browser', { skip: hasChromium ? false : 'no /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)' }, () => {
  let store: Store;
  let dir: string;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let admin: { username: string; password: string };

  before(async () => {
    buildConsole();
    ({ store, dir } = await demoStore(2000));
    const made = await ensureAdmin(store, { actor: 'demo' });
    admin = { username: made.username, password: made.password! };
    app = await buildServer({ store });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launch();
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh page in Chinese at 1440×900, signed in (as the admin unless told), with its problems collected. */
  async function open(path: string, as = admin): Promise<{ page: Page; problems: string[] }> {
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'America/New_York' });
    const page = await context.newPage();
    const problems = watch(page);
    await signInAs(page, base, as.username, as.password, path);
    return { page, problems };
  }

  const shoot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${name}.png` });

  test('every page opens from the menu with its data, without a console error or a failed request', async () => {
    const { page, problems } = await open('/');
    await page.getByTestId('kpi-gmvFen').waitFor();
    await page.waitForLoadState('networkidle');
    await shoot(page, 'overview');
    const pages: [area: string, ready: string, shot?: string][] = [
      ['customers', 'customer-table', 'customers'],
      ['layers', 'rfm-grid', 'layers'],
      ['segments', 'segment-table', 'segments'],
      ['predict', 'churn-table', 'predict'],
      ['recommend', 'recommend-tabs'],
      ['data', 'jobs-table', 'data'],
      ['settings', 'settings-page'],
      ['analytics', 'analytics-page'],
      ['journeys', 'journey-table'],
      ['overview', 'kpi-grid'],
    ];
    for (const [area, ready, shot] of pages) {
      await page.getByTestId(`nav-${area}`).click();
      await page.getByTestId(ready).first().waitFor({ timeout: 15_000 });
      // Wait for the page's requests to settle before judging it (and photographing it).
      await page.waitForLoadState('networkidle');
      if (shot) await shoot(page, shot);
    }
    // The churn page names the deployed model with the verdict, and ranks warnings with P(no purchase), not P(alive).
    await page.getByTestId('nav-predict').click();
    const [deployed] = await store.query<{ kind: string }>('SELECT kind FROM churn_models ORDER BY trained_at DESC LIMIT 1');
    const verdict = (await page.getByTestId('churn-verdict').textContent()) ?? '';
    assert.match(verdict, deployed!.kind === 'gbdt' ? /部署梯度提升树/ : /部署/, verdict);
    await page.getByTestId('churn-table').getByText('90 天内不购买的概率').waitFor();
    await page.getByTestId('nav-layers').click();
    await page.getByRole('tab', { name: '迁移' }).click();
    await page.getByTestId('migration-show').click();
    await page.getByTestId('migration-sankey').waitFor();
    await page.getByRole('tab', { name: '生命周期' }).click();
    await page.getByTestId('stage-funnel').waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('build a segment, see its live count, save it with a schedule and find it in the list with its members', async () => {
    const { page, problems } = await open('/segments/new');
    // Pick the option once it shows: Enter before the options load selects nothing (the count is then everyone). On a
    // loaded machine a click can land while the list re-renders, so the pick is checked, and made again if it did not
    // take.
    const values = page.getByTestId('condition-values');
    for (let attempt = 1; ; attempt++) {
      await values.click();
      await page.keyboard.type('沉睡');
      await page.locator('.ant-select-item-option', { hasText: '沉睡' }).first().click();
      await page.keyboard.press('Escape');
      const taken = await values.getByText('沉睡').first().waitFor({ timeout: 5_000 }).then(() => true, () => false);
      if (taken) break;
      if (attempt === 3) throw new Error(`the stage 沉睡 was not chosen after 3 picks; the condition shows "${await values.innerText()}"`);
    }
    // The count follows the definition (debounced), as the server counts it.
    const [{ n: dormant }] = (await store.query<{ n: number }>("SELECT count(*) AS n FROM lifecycle_stages WHERE stage = 'dormant'")) as [{ n: number }];
    const digits = Number(dormant).toLocaleString('zh-CN');
    const count = page.getByTestId('segment-count');
    await count.getByText(digits, { exact: true }).waitFor({ timeout: 30_000 }).catch(async (error: Error) => {
      // Say what the page shows instead: the condition as chosen and the count it got.
      const chosen = await values.innerText().catch(() => '?');
      throw new Error(`expected ${digits} dormant customers; the condition shows "${chosen}" and the count "${await count.innerText().catch(() => '?')}" (${error.message})`);
    });
    assert.ok(Number(dormant) > 0, 'the demo brand has dormant customers');
    await shoot(page, 'segment-builder');
    await page.getByTestId('segment-save').click();
    await page.getByTestId('segment-name').fill('沉睡客户');
    await page.locator('#segment-save-confirm').click();
    await page.getByTestId('segment-table').waitFor();
    const row = page.getByRole('row', { name: /沉睡客户/ });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', new RegExp(Number(dormant).toLocaleString('zh-CN')));
    assert.match((await row.textContent()) ?? '', /每天/, 'refreshed daily by default');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a saved segment the visual builder cannot show whole opens as JSON naming the part, and is saved with every part', async () => {
    const definition = { all: [{ field: 'stage', op: 'in', value: ['active', 'repeat'] }, { event: 'Order Completed', aggregate: 'avg', property: 'total', within_days: 365, op: '>=', value: 100 }] };
    const before = (await saveSegment(store, { name: '高客单', definition, refreshEvery: null })).definition;
    const { page, problems } = await open(`/segments/${encodeURIComponent('高客单')}/edit`);
    await page.locator('[data-testid="segment-definition"][data-mode="json"]').waitFor();
    await page.getByTestId('segment-definition-why').getByText('all[1]').waitFor();
    assert.equal(await page.getByTestId('segment-definition-mode').locator('.ant-segmented-item-disabled').count(), 1, 'the visual editor cannot be chosen');
    // Counted as it is.
    const { count } = await previewSegment(store, before);
    await page.getByTestId('segment-count').getByText(count.toLocaleString('zh-CN'), { exact: true }).waitFor({ timeout: 30_000 });
    await page.getByTestId('segment-save').click();
    await page.locator('#segment-save-confirm').click();
    await page.getByTestId('segment-table').waitFor();
    const after = (await listSegments(store)).find((s) => s.name === '高客单')?.definition;
    assert.deepEqual(after, before, 'saved with the average');
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('search a customer by phone, open the 360° profile with masked PII, and add a tag', async () => {
    const [someone] = await opened(store, await store.query<{ customer_id: string; phone: string }>("SELECT c.customer_id, c.phone FROM customers c JOIN clv_scores s ON s.customer_id = c.customer_id WHERE c.phone IS NOT NULL ORDER BY s.clv_12m_fen DESC LIMIT 1"));
    assert.ok(someone);
    const { page, problems } = await open('/customers');
    await page.getByTestId('customer-search').locator('input').fill(someone.phone.replace(/^\+86/, ''));
    await page.keyboard.press('Enter');
    await page.getByRole('row', { name: new RegExp(someone.customer_id) }).click();
    const profile = page.getByTestId('profile-phone');
    await profile.waitFor();
    assert.match((await profile.textContent()) ?? '', /\*{4}/, 'the phone is masked');
    assert.doesNotMatch((await page.getByTestId('profile').first().textContent()) ?? '', new RegExp(someone.phone.slice(-8)), 'nowhere in full');
    // The churn score's P(no purchase) is shown as the server stored it.
    const [churn] = await store.query<{ p: number }>('SELECT p_no_purchase AS p FROM churn_scores WHERE customer_id = $1', [someone.customer_id]);
    if (churn) await page.getByTestId('profile').first().getByText(new Intl.NumberFormat('zh-CN', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Number(churn.p))).first().waitFor();
    await shoot(page, 'profile');
    await page.getByRole('tab', { name: '标签' }).click();
    await page.getByTestId('tag-input').fill('电话回访');
    await page.getByTestId('tag-add').click();
    await page.getByTestId('tag-电话回访').waitFor();
    const [tag] = await store.query<{ set_by: string }>('SELECT set_by FROM customer_tags WHERE customer_id = $1 AND tag = $2', [someone.customer_id, '电话回访']);
    assert.equal(tag?.set_by, `user:${admin.username}`, 'tagged as the signed-in user');
    await page.getByRole('tab', { name: '推荐' }).click();
    await page.getByRole('tab', { name: '推荐' }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('switch to English: the menu, the page and the numbers change language, and the choice is kept', async () => {
    const { page, problems } = await open('/layers');
    await page.getByTestId('rfm-table').waitFor();
    await page.getByTestId('language').getByText('EN').click();
    await page.getByTestId('nav-customers').getByText('Customers').waitFor();
    await page.getByRole('tab', { name: 'Lifecycle' }).waitFor();
    assert.match((await page.getByTestId('rfm-table').textContent()) ?? '', /Important value/);
    await page.reload();
    await page.getByTestId('nav-segments').getByText('Segments').waitFor();
    await page.waitForLoadState('networkidle');
    await shoot(page, 'layers-en');
    assert.deepEqual(problems, []);
    await context.close();
  });
  test('sign-in: a signed-out visit goes to sign in and comes back; wrong passwords are refused; the user and role are shown; sign-out ends the session', async () => {
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'America/New_York' });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${base}/segments`);
    await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/segments');
    await page.getByTestId('sign-in-username').fill(admin.username);
    await page.getByTestId('sign-in-password').fill('not the password');
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('sign-in-error').getByText('用户名或密码不正确').waitFor();
    await page.getByTestId('sign-in-password').fill(admin.password);
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('segment-table').waitFor();
    assert.equal(new URL(page.url()).pathname, '/segments', 'back where the visit was going');
    assert.match((await page.getByTestId('current-user').textContent()) ?? '', /admin.*管理员/);
    // A change carries the CSRF token: refreshing a segment is a POST with the session cookie.
    const refreshed = page.waitForResponse((r) => r.url().includes('/refresh') && r.request().method() === 'POST');
    await page.getByRole('row', { name: /沉睡高价值/ }).getByTestId('segment-refresh').click();
    assert.equal((await refreshed).status(), 200);
    await page.getByTestId('current-user').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL((url) => url.pathname === '/sign-in');
    await page.goto(`${base}/customers`);
    await page.waitForURL((url) => url.pathname === '/sign-in');
    const [failed] = await store.query<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.sign_in_failed'");
    assert.ok(Number(failed?.n) >= 1, 'the wrong password is in the audit log');
    // Signing out forgets what the tab loaded, and the frame may ask once more who is signed in on its way out; the
    // visit just after can cut that request off (net::ERR_ABORTED), depending on timing.
    const cutOff = (p: string) => /request failed: GET .*\/v1\/auth\/me net::ERR_ABORTED/.test(p);
    assert.deepEqual(problems.filter((p) => !expectedSignedOut(p) && !cutOff(p) && !/HTTP 401: POST .*\/v1\/auth\/sign-in$/.test(p)), []);
    await context.close();
  });

  test('sign-in with a second factor: the code is asked for after the password, a wrong one is refused', async () => {
    await createUser(store, { username: 'yunying01', password: 'operator-password-1', roles: ['operator'] }, 'test');
    const { secret } = await beginTotpEnrolment(store, 'yunying01');
    const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
    await confirmTotp(store, 'yunying01', totp.generate(), 'test');
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'America/New_York' });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${base}/sign-in?next=${encodeURIComponent('/journeys')}`);
    await page.getByTestId('sign-in-username').fill('yunying01');
    await page.getByTestId('sign-in-password').fill('operator-password-1');
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('sign-in-totp').fill('000000');
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('sign-in-error').getByText(/验证码不正确/).waitFor();
    // The next step's code: the one used to confirm cannot be used again, and one step of drift is accepted.
    await page.getByTestId('sign-in-totp').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    await page.getByTestId('sign-in-submit').click();
    await page.getByTestId('journey-table').waitFor();
    assert.match((await page.getByTestId('current-user').textContent()) ?? '', /yunying01.*运营/);
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems.filter((p) => !/HTTP 401: POST .*\/v1\/auth\/sign-in$/.test(p) && !/status of 401/.test(p)), []);
    await context.close();
  });

  test('my account: the second factor is enrolled by scanning the QR code, which holds the otpauth link the server made', async () => {
    await createUser(store, { username: 'zhanghao01', password: 'account-password-1', roles: ['analyst'] }, 'test');
    const { page, problems } = await open('/account', { username: 'zhanghao01', password: 'account-password-1' });
    await page.getByTestId('totp-begin').click();
    const canvas = page.getByTestId('totp-qr').locator('canvas');
    await canvas.waitFor();
    // What a phone's camera would read: the drawn pixels, decoded.
    const image = await canvas.evaluate((element) => {
      const drawn = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
      return { width: drawn.width, height: drawn.height, data: Array.from(drawn.getContext('2d').getImageData(0, 0, drawn.width, drawn.height).data) };
    });
    // jsqr is CommonJS: its function is the module and, as its types say, its `default`.
    const scanned = jsqr.default(Uint8ClampedArray.from(image.data), image.width, image.height);
    const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    assert.equal(scanned?.data, (await page.getByTestId('totp-uri').textContent())?.trim());
    assert.match(scanned?.data ?? '', new RegExp(`^otpauth://totp/Siyu:zhanghao01\\?.*secret=${secret}(&|$)`));
    await page.getByTestId('totp-code').fill(totpCode(secret));
    await page.getByTestId('totp-confirm').click();
    await page.getByText('双重验证已启用。').waitFor();
    const [user] = await store.query<{ totp_enabled_at: Date | null }>("SELECT totp_enabled_at FROM users WHERE username = 'zhanghao01'");
    assert.ok(user?.totp_enabled_at, 'the second factor is enabled in the store');
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a customer-service user sees only their areas, and reveals a phone with a reason that lands in the audit log', async () => {
    await createUser(store, { username: 'kefu01', password: 'kefu-password-1', roles: ['service'] }, 'test');
    const [someone] = await opened(store, await store.query<{ customer_id: string; phone: string }>('SELECT customer_id, phone FROM customers WHERE phone IS NOT NULL ORDER BY customer_id LIMIT 1'));
    assert.ok(someone);
    const { page, problems } = await open(`/customers/${someone.customer_id}`, { username: 'kefu01', password: 'kefu-password-1' });
    const menu = await page.locator('.ant-layout-sider').textContent();
    assert.match(menu ?? '', /客户/);
    for (const hidden of ['总览', '分层', '人群', '旅程', '数据']) assert.doesNotMatch(menu ?? '', new RegExp(hidden), `${hidden} is hidden from customer service`);
    const phone = page.getByTestId('profile-phone');
    await phone.waitFor();
    assert.match((await phone.textContent()) ?? '', /\*{4}/, 'masked until revealed');
    await page.getByTestId('reveal').click();
    await page.locator('#reveal-confirm').click();
    await page.getByText('请填写至少 4 个字符的原因').waitFor();
    await page.getByTestId('reveal-reason').fill('客户来电核实订单');
    await page.locator('#reveal-confirm').click();
    await phone.getByText(someone.phone.slice(-8), { exact: false }).waitFor();
    assert.doesNotMatch((await phone.textContent()) ?? '', /\*{4}/, 'shown in full');
    const [entry] = await store.query<{ actor: string; target: string; details: string }>("SELECT actor, target, details FROM audit_log WHERE action = 'customer.reveal_pii' ORDER BY seq DESC LIMIT 1");
    assert.equal(entry?.actor, 'user:kefu01');
    assert.equal(entry?.target, someone.customer_id);
    assert.match(String(entry?.details), /客户来电核实订单/);
    await page.getByRole('tab', { name: '授权' }).click();
    await page.getByTestId('profile-consents').waitFor();
    await page.goto(`${base}/layers`);
    await page.getByTestId('forbidden').waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });
  test('settings: an admin creates a user with a role and a data scope, sees it in the audit log, and changes the contact policy', async () => {
    const { page, problems } = await open('/settings?tab=users');
    await page.getByTestId('user-table').waitFor();
    await page.getByTestId('user-new').click();
    await page.getByTestId('user-username').fill('fenxi01');
    await page.getByTestId('user-password').fill('analyst-password-1');
    // The choice must show in the form (the options list is outside the dialog); on a loaded machine a click can land
    // while the list re-renders, so it is checked and made again if it did not take. The list is closed by clicking
    // the dialog's title, since Escape could close the dialog itself.
    const dialog = page.getByRole('dialog');
    for (let attempt = 1; ; attempt++) {
      await page.getByTestId('user-roles').click();
      await page.locator('.ant-select-item-option', { hasText: '分析师 (analyst)' }).first().click();
      await dialog.getByText('新建用户').click();
      if (await dialog.getByText('分析师 (analyst)').waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
      if (attempt === 3) throw new Error(`the analyst role was not chosen after 3 picks; the dialog shows: ${(await dialog.innerText()).replace(/\s+/g, ' ')}`);
    }
    await page.locator('#user-save').click();
    // Saving closes the dialog; if it stays open, its text (a field's rule) says why.
    await dialog.waitFor({ state: 'hidden', timeout: 20_000 }).catch(async (error: Error) => {
      throw new Error(`the new-user dialog stayed open: ${(await dialog.innerText().catch(() => '')).replace(/\s+/g, ' ')} (${error.message})`);
    });
    await page.getByTestId('user-table').getByText('fenxi01').waitFor();
    const roles = await store.query<{ role: string }>("SELECT r.role FROM users u JOIN user_roles r ON r.user_id = u.user_id WHERE u.username = 'fenxi01'");
    assert.deepEqual(roles.map((r) => r.role), ['analyst']);
    await page.getByRole('tab', { name: '审计日志' }).click();
    await page.getByTestId('audit-table').getByText('user.create').first().waitFor();
    await page.getByTestId('audit-verify').click();
    await page.getByText(/哈希链完整/).waitFor();
    await page.getByRole('tab', { name: '触达规则' }).click();
    await page.getByTestId('contact-policy').waitFor();
    const smsDay = page.getByTestId('contact-policy').getByRole('row', { name: /短信/ }).getByRole('spinbutton').first();
    await smsDay.fill('2');
    await page.getByTestId('policy-save').click();
    await page.getByText('已保存（已记入审计日志）。').waitFor();
    const [policy] = await store.query<{ value: string }>("SELECT value FROM settings WHERE key = 'contact_policy'");
    assert.equal((JSON.parse(policy!.value) as { caps: { sms: { day: number } } }).caps.sms.day, 2);
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
