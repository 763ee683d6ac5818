import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureAdmin } from '../../src/access/index.ts';
import { computeKpis } from '../../src/analytics/index.ts';
import { getJourney } from '../../src/journey/index.ts';
import { buildServer } from '../../src/server/index.ts';
import { createFormatter } from '../../web/src/components/format.ts';
import type { Store } from '../../src/store/index.ts';
import { buildConsole, dragBetween, hasChromium, launch, signInAs, watch } from './browser.ts';
import { demoStore } from './demo-store.ts';

// The overview, the analytics area and the journeys pages in Debian's Chromium, on a small demo brand whose three
// journeys (welcome, cart, win-back A/B) ran 30 simulated days through the real engine, signed in as the demo admin.

const SHOTS = fileURLToPath(new URL('../../docs/console/', import.meta.url));
const README_SHOT = fileURLToPath(new URL('../../docs/img/', import.meta.url));

describe('the console: overview, analytics and journeys', { skip: hasChromium ? false : 'no /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)' }, () => {
  let store: Store;
  let dir: string;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let admin: { username: string; password: string };

  before(async () => {
    buildConsole();
    // 40 simulated days from 2026-11-01: a report counts the customers who entered more than its goal's 30 days before
    // the later of the wall clock and the journey's latest activity, and the first win-back entrants come on the
    // sixth day (the layers are recomputed weekly), so some are always counted, whatever today's date.
    ({ store, dir } = await demoStore(2000, 42, { journeyDays: 40 }));
    const made = await ensureAdmin(store, { actor: 'demo' });
    admin = { username: made.username, password: made.password! };
    app = await buildServer({ store });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launch();
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(README_SHOT, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(path: string): Promise<{ page: Page; problems: string[] }> {
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'America/New_York' });
    const page = await context.newPage();
    const problems = watch(page);
    await signInAs(page, base, admin.username, admin.password, path);
    return { page, problems };
  }

  test('the overview shows the week’s KPIs as the analytics API computes them, with sparklines and definitions on hover', async () => {
    const { page, problems } = await open('/');
    const kpis = await computeKpis(store, {});
    const gmv = kpis.metrics.find((m) => m.key === 'gmvFen')!;
    const card = page.getByTestId('kpi-gmvFen');
    await card.waitFor();
    // The week's GMV as the API computes it, in the console's own money format (¥6,848; ¥12.3万).
    assert.ok((await card.textContent())?.includes(createFormatter('zh-CN', 'Asia/Shanghai').moneyCompact(gmv.value)), 'the GMV card shows the computed GMV');
    assert.equal(await page.getByTestId('kpi-grid').getByTestId('sparkline').count(), kpis.metrics.length, 'a sparkline per KPI');
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SHOTS}overview.png` });
    await page.screenshot({ path: `${README_SHOT}console-overview.png` });
    await page.getByTestId('kpi-aovFen').getByTestId('kpi-definition').hover();
    await page.getByText(kpis.metrics.find((m) => m.key === 'aovFen')!.definition.zh.definition).waitFor();
    await page.getByTestId('overview-span').getByText('近 30 天').click();
    await page.getByText(/对比/).first().waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the analytics area: retention matrix, LTV cohorts, a funnel and a breakdown', async () => {
    const { page, problems } = await open('/analytics');
    await page.getByTestId('retention').waitFor();
    await page.getByRole('tab', { name: 'LTV 群组' }).click();
    await page.getByTestId('cohorts').waitFor();
    await page.getByRole('tab', { name: '漏斗' }).click();
    await page.getByTestId('funnel-chart').waitFor();
    await page.getByRole('tab', { name: '维度拆分' }).click();
    await page.getByTestId('breakdown').waitFor();
    await page.getByTestId('breakdown-by').getByText('生命周期').click();
    // The stage rows replace the channel rows once their answer arrives: stages by their Chinese names.
    await page.getByTestId('breakdown').locator('tbody').getByText(/^(潜客|新客|活跃|复购|沉睡|流失|回流)$/).first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SHOTS}analytics.png` });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('journeys: the list with live counts, a report with arms and uplift intervals, pause and resume, and a dry run', async () => {
    const { page, problems } = await open('/journeys');
    const table = page.getByTestId('journey-table');
    await table.getByText('沉睡唤醒').waitFor();
    const [winBack] = await store.query<{ n: number }>("SELECT count(*) AS n FROM journey_instances WHERE journey_id = 'win-back'");
    const entered = Number(winBack?.n);
    assert.ok(entered > 0, 'the win-back journey has entrants');
    await page.getByRole('row', { name: /沉睡唤醒/ }).getByText(entered.toLocaleString('zh-CN'), { exact: true }).waitFor();
    await page.getByRole('link', { name: '沉睡唤醒' }).click();
    await page.getByTestId('journey-report').waitFor();
    assert.match((await page.getByTestId('journey-entered').textContent()) ?? '', new RegExp(entered.toLocaleString('zh-CN')));
    const arms = (await page.getByTestId('journey-arms').textContent()) ?? '';
    for (const arm of ['对照组', '方案 A', '方案 B']) assert.match(arms, new RegExp(arm));
    assert.match(arms, /\[[-+]?\d+\.\d, [-+]?\d+\.\d\]/, 'uplift with its interval in points');
    await page.getByTestId('uplift-chart').waitFor();
    await page.getByTestId('journey-steps').waitFor();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${SHOTS}journey-report.png` });
    await page.getByTestId('journey-pause').click();
    await page.getByTestId('journey-status').getByText('已暂停').waitFor();
    assert.equal((await store.query<{ status: string }>("SELECT status FROM journeys WHERE journey_id = 'win-back'"))[0]?.status, 'paused');
    await page.getByTestId('journey-resume').click();
    await page.getByTestId('journey-status').getByText('运行中').waitFor();
    const [someone] = await store.query<{ customer_id: string }>("SELECT customer_id FROM journey_instances WHERE journey_id = 'win-back' AND NOT is_holdout ORDER BY customer_id LIMIT 1");
    assert.ok(someone);
    await page.getByRole('tab', { name: '模拟' }).click();
    await page.getByTestId('simulate-customer').fill(someone.customer_id);
    await page.getByTestId('simulate-run').click();
    await page.getByTestId('simulation').waitFor();
    assert.match((await page.getByTestId('simulation').textContent()) ?? '', new RegExp(someone.customer_id));
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('create a journey in the editor: problems shown on their steps, then saved as a draft and published', async () => {
    const { page, problems } = await open('/journeys/new');
    await page.getByTestId('journey-valid').waitFor();
    await page.getByTestId('tab-json').click();
    const broken = { entry: { kind: 'event', event: 'Product Added' }, start: 'remind', nodes: { remind: { kind: 'message', channel: 'sms', content: { body: '您的购物车还有商品' }, next: 'gone' }, done: { kind: 'exit' } } };
    await page.getByTestId('journey-json').fill(JSON.stringify(broken, null, 2));
    await page.getByTestId('journey-invalid').waitFor();
    await page.getByTestId('node-remind').getByText(/gone/).first().waitFor();
    // The canvas shows the JSON's journey: the problem on its step, the link to the missing step to a node of its own.
    await page.getByTestId('tab-canvas').click();
    await page.locator('[data-testid="canvas-node-remind"][data-problems="1"]').waitFor();
    await page.getByTestId('canvas-missing-gone').waitFor();
    await page.getByTestId('tab-json').click();
    broken.nodes.remind.next = 'done';
    await page.getByTestId('journey-json').fill(JSON.stringify(broken, null, 2));
    await page.getByTestId('journey-valid').waitFor();
    await page.getByTestId('journey-id').fill('cart-nudge');
    await page.getByTestId('journey-name').fill('加购提醒');
    await page.getByTestId('journey-save').click();
    await page.waitForURL((url) => url.pathname === '/journeys/cart-nudge');
    await page.getByTestId('journey-publish').click();
    await page.locator('#journey-publish-confirm').click();
    await page.getByTestId('journey-status').getByText('运行中').waitFor();
    // The broken draft's problems came as the validate route's 400, which the editor shows on the steps.
    const expected = (p: string) => /HTTP 400: POST .*\/v1\/journeys\/validate$/.test(p) || /status of 400 \(Bad Request\)/.test(p);
    const [saved] = await store.query<{ status: string; published_version: number }>("SELECT status, published_version FROM journeys WHERE journey_id = 'cart-nudge'");
    assert.deepEqual({ ...saved, published_version: Number(saved?.published_version) }, { status: 'active', published_version: 1 });
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems.filter((p) => !expected(p)), []);
    await context.close();
  });

  test('build a journey on the canvas: add a wait and a message, link them, see the server’s problem on its node, fix it, save the draft as built', async () => {
    const { page, problems } = await open('/journeys/new');
    await page.getByTestId('journey-valid').waitFor();
    const node = (id: string, problemCount?: number) => page.locator(`[data-testid="canvas-node-${id}"]${problemCount === undefined ? '' : `[data-problems="${problemCount}"]`}`);
    const targetOf = (id: string) => page.locator(`.react-flow__node[data-id="${id}"] .react-flow__handle.target`);
    // The new journey's template: remove its message step (select it, press Delete); the entry card then lacks a start.
    await node('welcome').click();
    await page.keyboard.press('Delete');
    await node('welcome').waitFor({ state: 'detached' });
    await page.locator('[data-testid="canvas-entry"][data-problems="1"]').waitFor();
    // Two steps from the palette, linked by dragging from each handle to the next step: entry → wait → message → done.
    await page.getByTestId('palette-wait').click();
    await page.getByTestId('palette-message').click();
    await page.getByTestId('canvas-layout').click();
    await dragBetween(page, page.getByTestId('handle-entry-start'), targetOf('wait_1'));
    await node('wait_1').getByTestId('node-start').waitFor();
    await dragBetween(page, page.getByTestId('handle-wait_1-next'), targetOf('message_1'));
    await node('wait_1').getByTestId('node-unlinked').waitFor({ state: 'detached' });
    await dragBetween(page, page.getByTestId('handle-message_1-next'), targetOf('done'));
    await node('message_1').getByTestId('node-unlinked').waitFor({ state: 'detached' });
    // Every link made, one problem is left, which the server names and the canvas shows on its node: the empty text.
    await node('message_1', 1).waitFor();
    await page.locator('[data-testid="canvas-entry"][data-problems="0"]').waitFor();
    for (const id of ['wait_1', 'done']) await node(id, 0).waitFor();
    await node('message_1').getByTestId('node-problems').hover();
    await page.getByRole('tooltip').getByText('nodes.message_1.content.body').waitFor();
    // The side panel edits the selected step: the wait's duration, then the message's text, which fixes the problem.
    await node('wait_1').click();
    await page.getByTestId('field-wait-target').fill('3d');
    await node('wait_1').getByTestId('node-summary').getByText('等待 3 天').waitFor();
    await node('message_1').click();
    await page.getByTestId('panel-problems').getByText('nodes.message_1.content.body').waitFor();
    await page.getByTestId('field-body').fill('{{ customer.name }}，购物车里的商品还在等您');
    await page.getByTestId('journey-valid').waitFor();
    await node('message_1', 0).waitFor();
    const built = {
      entry: { kind: 'event', event: 'Signed Up' },
      reentry: { kind: 'once' },
      holdout: 0.1,
      goal: { event: 'Order Completed', within_days: 30 },
      start: 'wait_1',
      nodes: {
        done: { kind: 'exit' },
        wait_1: { kind: 'wait', duration: '3d', next: 'message_1' },
        message_1: { kind: 'message', channel: 'sms', content: { body: '{{ customer.name }}，购物车里的商品还在等您' }, next: 'done' },
      },
    };
    // The JSON view is the same definition, and an edit there shows on the canvas. The layout button stored where it
    // put the entry and each step (the positions are the canvas's test/web/journey-positions.test.ts checks).
    await page.getByTestId('tab-json').click();
    const { layout, ...shown } = JSON.parse(await page.getByTestId('journey-json').inputValue()) as typeof built & { layout: { entry: unknown; nodes: object } };
    assert.deepEqual(shown, built);
    assert.deepEqual([Object.keys(layout).sort(), Object.keys(layout.nodes).sort()], [['entry', 'nodes'], ['done', 'message_1', 'wait_1']]);
    const drawn = { ...built, layout };
    built.nodes.wait_1.duration = '2h';
    await page.getByTestId('journey-json').fill(JSON.stringify(drawn, null, 2));
    await page.getByTestId('tab-canvas').click();
    await node('wait_1').getByTestId('node-summary').getByText('等待 2 小时').waitFor();
    await page.getByTestId('journey-valid').waitFor();
    await page.waitForLoadState('networkidle');
    await page.getByTestId('journey-id').fill('cart-canvas');
    await page.getByTestId('journey-name').fill('加购提醒（画布）');
    await page.getByTestId('journey-save').click();
    await page.waitForURL((url) => url.pathname === '/journeys/cart-canvas');
    const stored = await getJourney(store, 'cart-canvas');
    assert.deepEqual({ status: stored.status, draft: stored.draft }, { status: 'draft', draft: drawn });
    // The incomplete journey's problems came as the validate route's 400s, which the canvas shows on its nodes.
    const expected = (p: string) => /HTTP 400: POST .*\/v1\/journeys\/validate$/.test(p) || /status of 400 \(Bad Request\)/.test(p);
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems.filter((p) => !expected(p)), []);
    await context.close();
  });

  test('a profile shows the customer’s journeys, step by step', async () => {
    const [someone] = await store.query<{ customer_id: string }>("SELECT customer_id FROM journey_instances WHERE journey_id = 'win-back' ORDER BY customer_id LIMIT 1");
    assert.ok(someone);
    const { page, problems } = await open(`/customers/${someone.customer_id}`);
    await page.getByRole('tab', { name: '旅程' }).click();
    await page.getByTestId('profile-journeys').getByText('win-back').waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
