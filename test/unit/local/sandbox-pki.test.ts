import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { fleetTopology } from '../../../bench/lib/fleet-world.js';
import { ensureSandboxPki, SANDBOX_PKI_SITES } from '../../../src/local/sandbox-pki.js';
import { silentLogger } from '../../../src/log.js';
import { Authority } from '../../../src/pki/authority.js';
import { SiteDir } from '../../../src/pki/site-dir.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-sandbox-pki-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the sandbox PKI at fleet size', () => {
  it('is made for the first sites only, uses one an operator made for a later site, and is reused (no new keys) on restart', async () => {
    const topology = fleetTopology(SANDBOX_PKI_SITES + 2, 'balanced');
    const names = topology.sites.map((s) => s.name);
    // The operator's own PKI for the last site (`npm run pki -- init` and `issue`).
    const operator = new SiteDir(join(dataDir, 'pki'), names.at(-1)!);
    await new Authority(operator).init();
    await new Authority(operator).issue(['primary', 'secondary']);

    const servers = await ensureSandboxPki(dataDir, topology, silentLogger());
    const withPki = [...new Set(servers.map((s) => s.site))];
    expect(withPki).toEqual([...names.slice(0, SANDBOX_PKI_SITES), names.at(-1)]);
    expect(servers).toHaveLength(withPki.length * 2);
    expect(await new SiteDir(join(dataDir, 'pki'), names[SANDBOX_PKI_SITES]!).exists()).toBe(false);
    for (const s of servers) expect(statSync(join(s.pkiDir, 'server.crt')).isFile()).toBe(true);

    const caKey = join(dataDir, 'pki', names[0]!, 'ca.key');
    const before = statSync(caKey).mtimeMs;
    expect(await ensureSandboxPki(dataDir, topology, silentLogger())).toEqual(servers);
    expect(statSync(caKey).mtimeMs).toBe(before);
  });

  it('starts without a site whose PKI an operator left unfinished (init, no certificate), and says so', async () => {
    const topology = fleetTopology(1, 'balanced');
    const last = topology.sites[0]!.name;
    const dir = mkdtempSync(join(tmpdir(), 'tunnelops-sandbox-pki-'));
    try {
      await new Authority(new SiteDir(join(dir, 'pki'), last)).init();
      const warned: string[] = [];
      const log = pino({ level: 'warn' }, { write: (line: string) => warned.push(line) });
      const servers = await ensureSandboxPki(dir, topology, log);
      expect(servers).toEqual([]);
      expect(warned.join()).toContain(`"site":"${last}"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
