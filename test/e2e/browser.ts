import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium fonts-noto-cjk`); the e2e tests skip with a reason when it is missing. */
export const CHROMIUM = process.env.SIYU_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Builds the console into dist/web when web/ changed since the last build. */
export function buildConsole(): void {
  const result = spawnSync(process.execPath, ['scripts/build-web.mjs', '--if-stale'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('building the console failed');
}

// Flags for a closed network: no background connections, no updates, no QUIC (they fail here, many at a time).
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const launch = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });

/**
 * Every console error and failed request of a page, so a test can assert there were none. Each is also logged as it
 * happens (a test diagnostic line), so a test that times out waiting for the page shows what went wrong on it.
 */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  const add = (problem: string) => {
    problems.push(problem);
    console.log(`page problem: ${problem}`);
  };
  page.on('console', (message) => {
    if (message.type() === 'error') add(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => add(`page error: ${error.message}`));
  page.on('requestfailed', (request) => add(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => {
    if (response.status() >= 400) {
      const request = response.request();
      add(`HTTP ${response.status()}: ${request.method()} ${response.url()}`);
      // The API's error body says why (code and message); read it without holding the page up.
      if (response.url().includes('/v1/')) void response.text().then((body) => console.log(`page problem body: ${body.slice(0, 500)}`), () => undefined);
    }
  });
  return problems;
}

/** Signs in through the console's sign-in page and waits for the page it goes on to (`next`). */
export async function signInAs(page: Page, base: string, username: string, password: string, next = '/'): Promise<void> {
  await page.goto(`${base}/sign-in${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`);
  await page.getByTestId('sign-in-username').fill(username);
  await page.getByTestId('sign-in-password').fill(password);
  await page.getByTestId('sign-in-submit').click();
  await page.waitForURL((url) => url.pathname === next.split('?')[0]);
}

/** The problems a signed-out visit is expected to cause: the 401 that sends it to sign in (and Chromium's log line for it). */
export const expectedSignedOut = (problem: string) => /HTTP 401: GET .*\/v1\/auth\/me$/.test(problem) || /console error: Failed to load resource: the server responded with a status of 401/.test(problem);

/** A locator's box once it stops moving (a canvas that fits its view after a change moves what it shows). */
async function steadyBox(page: Page, locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  let box = await locator.boundingBox();
  for (let i = 0; i < 50; i++) {
    await page.waitForTimeout(100);
    const again = await locator.boundingBox();
    if (box && again && box.x === again.x && box.y === again.y) return again;
    box = again;
  }
  throw new Error(`${String(locator)} did not stop moving`);
}

/** Drags with the mouse from the middle of one element to the middle of another, as a person draws a link on a canvas. */
export async function dragBetween(page: Page, from: Locator, to: Locator): Promise<void> {
  const a = await steadyBox(page, from);
  const b = await steadyBox(page, to);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}
