import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../src/domain/heartbeat.js';
import { openSqlite } from '../../src/local/sqlite-db.js';
import { describeLab } from './describe-lab.js';
import { Lab } from './lab.js';
import { CLIENT_HEALTHCHECK, REPO_ROOT, SERVER_HEALTHCHECK } from './lab-processes.js';
import { inNs, status, waitFor } from './netns.js';

describeLab('real OpenVPN tunnels in network namespaces', () => {
  let lab: Lab;

  beforeAll(async () => {
    // Bare tunnels: these tests start and stop the images' processes themselves (failover-scenarios.test.ts
    // runs the production shape).
    lab = await Lab.up({ monitors: false });
  }, 120_000);

  afterAll(async () => {
    // Removes every namespace of this run's prefix and the temp dir (PKI, logs), even after a failure.
    await lab?.down();
  }, 60_000);

  beforeEach(async () => {
    await lab.restore();
  }, 60_000);

  describe('images', () => {
    it('carries traffic from the app host to the on-prem service through the primary', async () => {
      const [p0, s0] = [await lab.tunnelTxPackets('primary'), await lab.tunnelTxPackets('secondary')];
      expect(await lab.appPing(10)).toBe(10);
      expect((await lab.tunnelTxPackets('primary')) - p0).toBeGreaterThanOrEqual(10);
      expect((await lab.tunnelTxPackets('secondary')) - s0).toBeLessThan(10);
      // The second on-prem CIDR too, and replies come back although the on-prem router has no VPC route.
      expect(await lab.appPing(3, '10.21.0.10')).toBe(3);
    }, 30_000);

    it('restarts the client by itself when its openvpn dies', async () => {
      const before = lab.clientPid('primary');
      expect(before).not.toBeNull();
      lab.killClientOpenvpn('primary');
      const restarted = await waitFor(async () => {
        const pid = lab.clientPid('primary');
        return pid !== null && pid !== before;
      }, 15_000);
      expect(restarted).toBe(true);
      expect(await lab.waitTunnel('primary', 20_000)).toBe(true);
      expect(lab.clientRunning('primary')).toBe(true);
      expect(lab.logs('primary')).toMatch(/openvpn exited with status \d+ after \d+s; restarting in 1s/);
    }, 45_000);

    it("refuses a client holding another tunnel's certificate (a certificate per client, no duplicate-cn)", async () => {
      // The secondary client's certificate, with the primary's tls-crypt key so the TLS handshake is reached.
      const impostor = join(lab.root, 'pki', 'impostor');
      mkdirSync(impostor, { recursive: true });
      const other = lab.pkiOf('secondary').client.dir;
      for (const f of ['ca.crt', 'client.crt', 'client.key']) copyFileSync(join(other, f), join(impostor, f));
      copyFileSync(join(lab.pkiOf('primary').client.dir, 'tls-crypt.key'), join(impostor, 'tls-crypt.key'));
      const proc = lab.startExtraClient('impostor', lab.ns.client.secondary, impostor, 'primary');
      try {
        const refused = await waitFor(
          async () => /VERIFY X509NAME ERROR: CN=lab-secondary-client/.test(lab.serverLog('primary')),
          15_000,
        );
        expect(refused).toBe(true);
        expect(await status('ip', ['-n', lab.ns.client.secondary, 'link', 'show', 'tun9'])).not.toBe(0);
        // The real primary client is undisturbed.
        expect(await lab.tunnelWorks('primary')).toBe(true);
      } finally {
        await proc.stop(0);
      }
    }, 30_000);

    it('health checks follow openvpn', async () => {
      const check = (ns: string, script: string, role: 'server' | 'client') =>
        status('ip', [
          'netns',
          'exec',
          ns,
          'env',
          `RUN_DIR=${lab.runDir(role, 'secondary')}`,
          'bash',
          script,
        ]);
      expect(await check(lab.ns.server.secondary, SERVER_HEALTHCHECK, 'server')).toBe(0);
      expect(await check(lab.ns.client.secondary, CLIENT_HEALTHCHECK, 'client')).toBe(0);
      lab.killServerOpenvpn('secondary');
      expect(
        await waitFor(
          async () => (await check(lab.ns.server.secondary, SERVER_HEALTHCHECK, 'server')) !== 0,
          5000,
        ),
      ).toBe(true);
    }, 30_000);

    it('server entrypoint runs the monitor beside openvpn as an unprivileged user, probing through the tunnel', async () => {
      const dataDir = join(lab.root, 'monitor-data');
      mkdirSync(dataDir, { recursive: true });
      chmodSync(dataDir, 0o777);
      await lab.startServer('secondary', {
        MONITOR_ENABLED: '1',
        MONITOR_CMD: `${join(REPO_ROOT, 'node_modules/.bin/tsx')} ${join(REPO_ROOT, 'src/monitor/main.ts')}`,
        MONITOR_USER: 'nobody',
        MONITOR_NO_AWS: '1',
        TUNNELOPS_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      });
      // The monitor (nobody) creates the database; the test reads it read-only once it exists, so it never
      // creates a root-owned file the monitor could not write.
      const dbPath = join(dataDir, 'tunnelops.sqlite');
      expect(await waitFor(async () => existsSync(`${dbPath}-wal`), 30_000, 250)).toBe(true);
      const db = openSqlite(dbPath, { readOnly: true });
      try {
        const beat = (): Heartbeat | undefined => {
          const row = db
            .prepare('SELECT value FROM records WHERE ns = ? AND key = ?')
            .get(HEARTBEAT_NS, heartbeatKey('lab', 'secondary')) as { value: string } | undefined;
          return row ? (JSON.parse(row.value) as Heartbeat) : undefined;
        };
        expect(await waitFor(async () => beat()?.health === 'up', 30_000, 250)).toBe(true);
        const users = await inNs(lab.ns.server.secondary, 'ps', ['-eo', 'user:16,args']);
        expect(users).toMatch(/^nobody\s+.*src\/monitor\/main\.ts/m);
        // openvpn dropped root as well (it keeps only CAP_NET_ADMIN).
        expect(users).toMatch(/^nobody\s+openvpn --config/m);
        // openvpn dies: the entrypoint stops the monitor too, so the container (here: the process) exits.
        lab.killServerOpenvpn('secondary');
        expect(
          await waitFor(
            async () =>
              !(await inNs(lab.ns.server.secondary, 'ps', ['-eo', 'args'])).includes('monitor/main.ts'),
            10_000,
          ),
        ).toBe(true);
      } finally {
        db.close();
      }
    }, 60_000);

    it("keeps its forwarding rules in its own chain, idempotently, without touching the host's rules", async () => {
      const ns = lab.ns.server.primary;
      await inNs(ns, 'iptables', ['-w', '-A', 'FORWARD', '-s', '192.0.2.1', '-j', 'DROP']);
      await lab.startServer('primary'); // a restart runs the entrypoint again
      await lab.startServer('primary');
      expect(await lab.waitTunnel('primary', 20_000)).toBe(true);
      const rules = (await inNs(ns, 'iptables', ['-w', '-S'])).split('\n');
      expect(rules).toContain('-A FORWARD -s 192.0.2.1/32 -j DROP');
      expect(rules.filter((r) => r === '-A FORWARD -j TUNNELOPS-FWD')).toHaveLength(1);
      expect(rules.filter((r) => r.startsWith('-A TUNNELOPS-FWD'))).toEqual([
        // Nothing from the tunnel reaches the link-local credential endpoints (IMDS, ECS) through the host.
        '-A TUNNELOPS-FWD -d 169.254.0.0/16 -i tun0 -j DROP',
        '-A TUNNELOPS-FWD -i tun0 -j ACCEPT',
        '-A TUNNELOPS-FWD -o tun0 -j ACCEPT',
      ]);
      // A graceful stop (SIGTERM, as docker stop sends) removes only its own rules.
      await lab.stopServer('primary');
      const after = (await inNs(ns, 'iptables', ['-w', '-S'])).split('\n');
      expect(after).toContain('-A FORWARD -s 192.0.2.1/32 -j DROP');
      expect(after.filter((r) => r.startsWith('-A TUNNELOPS-FWD'))).toEqual([]);
    }, 60_000);
  });
});
