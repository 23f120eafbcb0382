import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { parseTopology } from '../../src/config/load-topology.js';
import { demoTopology, startTestApp, type TestApp } from '../helpers/test-app.js';
import { type Browser, describeBrowser, launchChromium } from './chromium.js';

// Past 10 sites the page is the fleet view: a summary, one row per site with those needing attention first (the
// others in a list closed until asked for), a filter, and a site's detail on demand. 40 sites keep the test light; bench:fleet-views measures 500.
const SITES = 40;

let app: TestApp;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];

describeBrowser('status page for a fleet in chromium', () => {
  beforeAll(async () => {
    const dc1 = demoTopology().sites[0]!;
    const topology = parseTopology(
      JSON.stringify({
        sites: Array.from({ length: SITES }, (_, i) => ({
          ...dc1,
          name: `site${String(i + 1).padStart(2, '0')}`,
          tunnels: dc1.tunnels.map((t, k) => ({
            ...t,
            availabilityZone: k === 0 ? 'us-east-1a' : 'us-east-1b',
          })),
        })),
      }),
      'test',
    );
    app = await startTestApp({ topology });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(`${app.url}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the summary and one row per site, with no graphs until asked', async () => {
    await expect(page.locator('#summary').textContent()).resolves.toMatch(
      new RegExp(`${SITES} site\\(s\\)[\\s\\S]*✓ ${SITES} healthy[\\s\\S]*us-east-1a: ${SITES}`),
    );
    expect(await page.locator('#sites tr[data-site]').count()).toBe(SITES);
    expect(await page.locator('svg').count()).toBe(0);
    // No site needs attention: its table is left out, and the others wait in a closed list (none laid out).
    expect(await page.locator('table.attention').isVisible()).toBe(false);
    expect(await page.locator('#sites tr[data-site]:visible').count()).toBe(0);
    await page.click('#other-sites > summary');
    expect(await page.locator('#sites tr[data-site]:visible').count()).toBe(SITES);
    await page.click('#other-sites > summary');
    expect(await page.locator('#sites tr[data-site]:visible').count()).toBe(0);
  });

  it('moves a broken site to the top without a reload, and the filter shows only it', async () => {
    await page.evaluate('window.notReloaded = true');
    const res = await fetch(`${app.url}/api/sandbox/chaos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'site27', tunnel: 'secondary', action: 'break' }),
    });
    expect(res.status).toBe(200);
    await page.locator('#sites tr[data-site]').first().and(page.locator('[data-site="site27"]')).waitFor({
      timeout: 8000,
    });
    await expect(page.locator('#sites tr[data-site="site27"]').textContent()).resolves.toMatch(
      /standby secondary down/,
    );
    // In the attention table, shown; the others still closed.
    await expect(page.locator('#attention-rows tr[data-site="site27"]').isVisible()).resolves.toBe(true);
    expect(await page.locator('#sites tr[data-site]:visible').count()).toBe(1);
    await page.selectOption('#filter-state', 'attention');
    await expect(page.locator('#sites tr[data-site]:visible').count()).resolves.toBe(1);
    await page.fill('#filter-q', 'site0');
    await expect(page.locator('#sites tr[data-site]:visible').count()).resolves.toBe(0);
    await page.selectOption('#filter-state', 'all');
    await expect(page.locator('#sites tr[data-site]:visible').count()).resolves.toBe(9);
    await page.fill('#filter-q', '');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
  }, 20_000);

  it("shows a site's detail with its graph on demand, and the same without script at /?site=", async () => {
    await page.click('#sites tr[data-site="site27"] a[data-detail]');
    await page.locator('#detail section[data-site="site27"] figure.graph svg').waitFor({ timeout: 5000 });
    await expect(page.locator('#detail .active-tunnel').textContent()).resolves.toBe('primary');
    const html = await (await fetch(`${app.url}/?site=site27&state=attention`)).text();
    expect(html).toContain(
      '<section id="detail" class="detail" aria-live="polite"><section class="site" id="site-site27"',
    );
    expect(html).toMatch(/<tr hidden id="site-site01"/);
    expect(html).toMatch(/<tr id="site-site27"/);
    expect(html).toContain('<details id="other-sites">');
    // A name filter looks through every site: the list comes open, without script too.
    const named = await (await fetch(`${app.url}/?q=site0`)).text();
    expect(named).toContain('<details id="other-sites" open>');
    expect(named.match(/<tr id="site-/g)).toHaveLength(9);
    expect(cspViolations).toEqual([]);
  }, 20_000);
});
