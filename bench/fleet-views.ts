/**
 * bench:fleet-views: the fleet-sized surfaces (issue 23) against a sandbox with 500 sites (4 regions, 1,000
 * tunnels, primaries alternating between each region's two AZs), its own process as `npm start` runs it.
 * - sandbox start as `npm start` does it, with its demo PKI (made at this first start for the first
 *   SANDBOX_PKI_SITES sites): spawn to "listening", s; then idle (nothing asked of it but the page's stream) CPU
 *   (cores) and RSS (MB) over IDLE_MS; at the end a restart on the same data dir (the PKI reused), s;
 * - GET /api/status for 500 sites: median of 5, ms (and KB);
 * - the status page in chromium (Debian's, /usr/bin/chromium): `/` from request to load event (Navigation
 *   Timing), ms, reloaded in a warm browser (page_ms, the goal) and first in a fresh one (page_first_ms);
 * - its live feed for one idle viewer (started at the page's generation): bytes per 10 s;
 * - `/vpn status` for 500 sites, healthy and during an outage of one AZ in every region (250 sites down):
 *   blocks and characters (largest section, text fallback), from the real view over the sandbox account.
 * Goals: start and restart < 15 s, idle < 0.25 core and < 500 MB, /api/status < 1000 ms, page < 1000 ms, feed < 200 KB per
 * 10 s, /vpn status within Slack's limits (<= 50 blocks, <= 3000 chars a section and text).
 * Short form (BENCH_SMOKE=1): the same 500 sites, idle and feed measured over 10 s (full: 30 s).
 * Last line: {"bench":"fleet-views","sites":500,"start_s":..,"restart_s":..,"idle_cpu":..,"idle_rss_mb":..,"api_status_ms":..,
 *   "api_status_kb":..,"page_ms":..,"page_first_ms":..,"sse_bytes_10s":..,"vpn_status_blocks":..,"vpn_status_max_section":..,
 *   "vpn_status_text":..,"outage_blocks":..,"outage_max_section":..,"outage_text":..,"wrong":0,"valid":true}
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Topology } from '../src/config/topology-schema.js';
import { topologySchema } from '../src/config/topology-schema.js';
import { createSandboxAccount } from '../src/local/sandbox-account.js';
import { SqliteStore } from '../src/local/sqlite-store.js';
import { silentLogger } from '../src/log.js';
import { systemClock } from '../src/ports/clock.js';
import { StatusService } from '../src/services/status/status-service.js';
import { withPending } from '../src/slack/views/pending-view.js';
import { statusMessage } from '../src/slack/views/status-view.js';
import { rssMb, startSandbox } from '../test/security/big-body-probe.js';
import { benchSize, finishBench, runBench } from './lib/bench-run.js';
import { fleetTopology } from './lib/fleet-world.js';

const SITES = 500;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];
const IDLE_MS = benchSize(30_000, 10_000);
const CHROMIUM = '/usr/bin/chromium';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** bench:fleet's 500 sites spread over 4 regions, each site's two tunnels in its region's two AZs. */
function fleetOf4Regions(): Topology {
  const base = fleetTopology(SITES, 'balanced');
  return topologySchema.parse({
    sites: base.sites.map((s, i) => {
      const region = REGIONS[i % REGIONS.length]!;
      return {
        ...s,
        region,
        tunnels: s.tunnels.map((t) => ({
          ...t,
          availabilityZone: `${region}${t.availabilityZone!.slice(-1)}`,
        })),
      };
    }),
  });
}

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** Blocks, the longest section text and the text fallback of a /vpn status answer. */
function messageSize(msg: { text: string; blocks: readonly unknown[] }) {
  const texts = (
    msg.blocks as Array<{ text?: { text: string }; elements?: Array<{ text: string }> }>
  ).flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text)]);
  return {
    blocks: msg.blocks.length,
    maxSection: Math.max(...texts.map((t) => t.length)),
    text: msg.text.length,
  };
}

async function vpnStatusSizes(topology: Topology) {
  const account = createSandboxAccount({ topology, clock: systemClock });
  const store = new SqliteStore({ path: ':memory:' });
  const status = new StatusService({ topology, account, store, clock: systemClock, log: silentLogger() });
  const answer = async () => withPending(statusMessage(await status.report()), new Map());
  const healthy = messageSize(await answer());
  // One AZ of every region goes: each site whose primary sits there loses it (half the fleet).
  for (const s of topology.sites)
    for (const t of s.tunnels)
      if (t.name === 'primary' && t.availabilityZone?.endsWith('a')) account.chaos.break(s.name, t.name);
  await sleep(6_000); // the sandbox's probes see the loss within their window
  const outage = messageSize(await answer());
  await store.close();
  return { healthy, outage };
}

/** Bytes the page's stream sends one viewer that starts at the page's generation, over 10 s. */
async function feedBytes(base: string, since: string): Promise<number> {
  const res = await fetch(`${base}/events?since=${encodeURIComponent(since)}`);
  const reader = res.body!.getReader();
  let bytes = 0;
  const stop = setTimeout(() => void reader.cancel(), 10_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.length;
    }
  } catch {
    // cancelled at 10 s
  } finally {
    clearTimeout(stop);
  }
  return bytes;
}

runBench('fleet-views', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelops-fleet-views-'));
  const topology = fleetOf4Regions();
  const topologyPath = join(dir, 'tunnels.yml');
  writeFileSync(topologyPath, JSON.stringify(topology)); // JSON is YAML
  let wrong = 0;
  // Its own data dir, kept across the restart (startSandbox's own temporary one then goes unused).
  const env = { TUNNELOPS_TOPOLOGY: topologyPath, TUNNELOPS_DATA_DIR: join(dir, 'data') };
  const t0 = performance.now();
  let sandbox = await startSandbox(env);
  const startS = (performance.now() - t0) / 1000;
  try {
    // Idle: the sandbox alone (its 1,000 simulated monitors, relay, controller), nothing asked of it.
    await sleep(3_000);
    const cpu0 = cpuSeconds(sandbox.pid);
    const i0 = performance.now();
    let rssMax = 0;
    for (let waited = 0; waited < IDLE_MS; waited += 1000) {
      await sleep(1000);
      rssMax = Math.max(rssMax, rssMb(sandbox.pid));
    }
    const idleCpu = (cpuSeconds(sandbox.pid) - cpu0) / ((performance.now() - i0) / 1000);

    const apiMs: number[] = [];
    let apiKb = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await fetch(`${sandbox.base}/api/status`);
      const body = await res.text();
      apiMs.push(performance.now() - t);
      apiKb = Math.round(body.length / 1024);
      const sites = (JSON.parse(body) as { sites: unknown[] }).sites.length;
      if (!res.ok || sites !== SITES) wrong++;
    }
    const apiStatusMs = Math.round(apiMs.sort((a, b) => a - b)[2]!);

    let pageMs = -1;
    let pageFirstMs = -1;
    let since = '';
    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`${sandbox.base}/healthz`);
        // The page's own Navigation Timing (request to load event end, as a viewer waits for it), of the
        // first load in a fresh browser and of a reload (a NOC screen's browser is warm).
        const loadMs = async () => {
          await page.goto(`${sandbox.base}/`, { waitUntil: 'load' });
          // Healthy sites wait in a closed list (not laid out): the rows are there, not shown.
          await page.locator('#sites tr[data-site]').first().waitFor({ state: 'attached' });
          const nav = JSON.parse(
            (await page.evaluate('JSON.stringify(performance.getEntriesByType("navigation")[0])')) as string,
          ) as { loadEventEnd: number };
          return Math.round(nav.loadEventEnd);
        };
        pageFirstMs = await loadMs();
        pageMs = await loadMs();
        const rows = await page.locator('#sites tr[data-site]').count();
        if (rows !== SITES) wrong++;
        since = (await page.locator('#overview').getAttribute('data-since')) ?? '';
      } finally {
        await browser.close();
      }
    } else {
      console.log(`  no ${CHROMIUM}: page load not measured (apt-get install chromium)`);
      wrong++;
    }
    if (!since)
      since = /data-since="([^"]+)"/.exec(await (await fetch(`${sandbox.base}/`)).text())?.[1] ?? '';
    const sseBytes = await feedBytes(sandbox.base, since);
    const vpn = await vpnStatusSizes(topology);
    await sandbox.stop();
    const t1 = performance.now();
    sandbox = await startSandbox(env);
    const restartS = (performance.now() - t1) / 1000;
    if (!existsSync(join(dir, 'data', 'pki', topology.sites[0]!.name, 'ca.key'))) wrong++;

    console.log(
      `bench:fleet-views: ${SITES} sites in ${REGIONS.length} regions (${SITES * 2} tunnels), sandbox`,
    );
    console.log(
      `  start ${startS.toFixed(1)} s (restart ${restartS.toFixed(1)} s), demo PKI on; idle ${idleCpu.toFixed(3)} core, RSS max ${Math.round(rssMax)} MB over ${IDLE_MS / 1000} s`,
    );
    console.log(`  /api/status ${apiStatusMs} ms (median of 5), ${apiKb} KB`);
    console.log(
      `  status page in chromium: ${pageMs} ms to its load event (a reload; first load in a fresh browser ${pageFirstMs} ms); live feed ${sseBytes} bytes per 10 s (idle viewer)`,
    );
    console.log(
      `  /vpn status healthy: ${vpn.healthy.blocks} blocks, largest section ${vpn.healthy.maxSection} chars, text ${vpn.healthy.text}`,
    );
    console.log(
      `  /vpn status, one AZ out in every region: ${vpn.outage.blocks} blocks, largest section ${vpn.outage.maxSection} chars, text ${vpn.outage.text}`,
    );
    const within = (m: { blocks: number; maxSection: number; text: number }) =>
      m.blocks <= 50 && m.maxSection <= 3000 && m.text <= 3000;
    finishBench(
      'fleet-views',
      {
        sites: SITES,
        start_s: Number(startS.toFixed(1)),
        restart_s: Number(restartS.toFixed(1)),
        idle_cpu: Number(idleCpu.toFixed(3)),
        idle_rss_mb: Math.round(rssMax),
        api_status_ms: apiStatusMs,
        api_status_kb: apiKb,
        page_ms: pageMs,
        page_first_ms: pageFirstMs,
        sse_bytes_10s: sseBytes,
        vpn_status_blocks: vpn.healthy.blocks,
        vpn_status_max_section: vpn.healthy.maxSection,
        vpn_status_text: vpn.healthy.text,
        outage_blocks: vpn.outage.blocks,
        outage_max_section: vpn.outage.maxSection,
        outage_text: vpn.outage.text,
      },
      {
        wrong,
        goals: [
          { what: 'sandbox starts (and restarts) in < 15 s', met: startS < 15 && restartS < 15 },
          { what: 'idles under 0.25 core', met: idleCpu < 0.25 },
          { what: 'idles under 500 MB', met: rssMax < 500 },
          { what: '/api/status < 1000 ms', met: apiStatusMs < 1000 },
          { what: 'page loads in < 1000 ms', met: pageMs >= 0 && pageMs < 1000 },
          { what: 'idle feed < 200 KB per 10 s', met: sseBytes < 200 * 1024 },
          {
            what: '/vpn status within Slack limits (healthy and outage)',
            met: within(vpn.healthy) && within(vpn.outage),
          },
        ],
      },
    );
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
