import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { findSite } from '../../src/domain/topology.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { type Browser, describeBrowser, launchChromium } from './chromium.js';

const TOKEN = 'browser-test-token-0123456789';
const SCREENSHOT = 'test-results/status-page.png';

let app: TestApp;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];

const row = (tunnel: string) => page.locator(`section[data-site="dc1"] tr[data-tunnel="${tunnel}"]`);

describeBrowser('status page in chromium', () => {
  beforeAll(async () => {
    app = await startTestApp({ env: { TUNNELOPS_API_TOKEN: TOKEN } });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('refuses a wrong token and signs in with the right one (HttpOnly, SameSite=Strict cookie)', async () => {
    await page.goto(`${app.url}/`);
    await expect(page.locator('h2#signin-title').textContent()).resolves.toBe('Sign in');
    expect(await page.locator('section[data-site]').count()).toBe(0);

    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('Wrong token');
    expect(await page.locator('section[data-site]').count()).toBe(0);
    expect(await browser.context.cookies()).toEqual([]);

    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector('section[data-site="dc1"]');
    const [cookie] = await browser.context.cookies();
    expect(cookie).toMatchObject({ name: 'tunnelops_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie?.value).not.toContain(TOKEN);
  }, 30_000);

  it('shows dc1 with its active tunnel, health, consistent routes and the health graph', async () => {
    await expect(page.locator('section[data-site="dc1"] .active-tunnel').textContent()).resolves.toBe(
      'primary',
    );
    await expect(row('primary').textContent()).resolves.toMatch(/active.*✓ healthy/);
    await expect(row('secondary').textContent()).resolves.toMatch(/standby.*✓ healthy/);
    await expect(page.locator('section[data-site="dc1"] .routes').textContent()).resolves.toContain(
      'Routes consistent: all 4 point at primary',
    );
    expect(await page.locator('section[data-site="dc1"] figure.graph svg polyline').count()).toBeGreaterThan(
      0,
    );
    // The page needs no script to be read: the server sends it whole.
    const html = await (await fetch(`${app.url}/`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(html).toContain('data-active-tunnel="primary"');
    expect(html).toContain('<noscript><meta http-equiv="refresh" content="5"></noscript>');
  });

  it('shows a chaos break within 5 s, without a reload', async () => {
    await page.evaluate('window.notReloaded = true');
    const res = await fetch(`${app.url}/api/sandbox/chaos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'dc1', tunnel: 'primary', action: 'break' }),
    });
    expect(res.status).toBe(200);
    const t0 = Date.now();
    // A locator polls the DOM from outside: the page's CSP forbids the eval waitForFunction would need.
    await row('primary').filter({ hasText: '✗ down' }).waitFor({ timeout: 5000 });
    console.log(`chaos break shown after ${Date.now() - t0} ms`);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await expect(page.locator('#live').textContent()).resolves.toBe('live');
  }, 15_000);

  it('moves the "active" marker when the routes fail over', async () => {
    const site = findSite(app.ctx.topology, 'dc1')!;
    const result = await app.ctx.services.failover.execute({
      site,
      to: 'secondary',
      actor: 'UAPPROVER1',
      trigger: 'approved',
      reason: 'browser test',
    });
    expect(result.ok).toBe(true);
    await page
      .locator('section[data-site="dc1"] tr.active[data-tunnel="secondary"]')
      .waitFor({ timeout: 5000 });
    await expect(page.locator('section[data-site="dc1"] .active-tunnel').textContent()).resolves.toBe(
      'secondary',
    );
    await expect(row('primary').textContent()).resolves.toMatch(/standby.*✗ down/);
    await expect(
      page.locator('section#failovers, section[aria-labelledby="failovers"]').textContent(),
    ).resolves.toMatch(/dc1\s*primary\s*secondary\s*@approver1/);
    expect(await page.evaluate('window.notReloaded')).toBe(true);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(cspViolations).toEqual([]);
  }, 15_000);

  for (const [width, height] of [
    [390, 844],
    [1400, 900],
  ] as const) {
    it(`fits ${width} x ${height} without sideways scrolling, nothing cut (screenshot)`, async () => {
      await page.setViewportSize({ width, height });
      await page.locator('section[data-site="dc1"]').waitFor();
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      // No element (but the visually hidden table heads) is wider than its box (the text "Routes consistent: all 4 point at se" was cut at 390 px).
      const overflowing = await page.evaluate(
        `[...document.querySelectorAll('main *')].filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible' && getComputedStyle(e).clipPath === 'none').map((e) => e.tagName + '.' + e.className + ' ' + e.scrollWidth + '>' + e.clientWidth)`,
      );
      expect(overflowing).toEqual([]);
      const routes = page.locator('section[data-site="dc1"] .routes');
      const box = await routes.boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(width);
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: `test-results/status-page-${width}.png`, fullPage: true });
    }, 15_000);
  }

  it('follows the system theme, the health graph included (light and dark)', async () => {
    const colours = async () =>
      JSON.parse(
        (await page.evaluate(`JSON.stringify({
          body: getComputedStyle(document.body).backgroundColor,
          card: getComputedStyle(document.querySelector('section[data-site="dc1"]')).backgroundColor,
          graph: getComputedStyle(document.querySelector('figure.graph svg rect.g-bg')).fill,
          ink: getComputedStyle(document.querySelector('figure.graph svg text.g-ink')).fill,
        })`)) as string,
      ) as Record<'body' | 'card' | 'graph' | 'ink', string>;
    const luminance = (rgb: string) => {
      const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await colours();
    expect(luminance(dark.body)).toBeLessThan(60);
    expect(dark.graph).toBe(dark.card); // no white panel on the dark page
    expect(luminance(dark.ink)).toBeGreaterThan(180);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-results/status-page-390-dark.png', fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await colours();
    expect(luminance(light.body)).toBeGreaterThan(200);
    expect(light.graph).toBe(light.card);
    expect(luminance(light.ink)).toBeLessThan(60);
  }, 15_000);
});
