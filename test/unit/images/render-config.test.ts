import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { cidrToNetmask, fillTemplate, renderServer } from '../../../images/render-config.js';
import { loadTopology } from '../../../src/config/load-topology.js';

const topology = loadTopology('tunnels.yml');
const base = {
  topology,
  site: 'dc1',
  tunnel: 'secondary',
  pkiDir: '/etc/openvpn/pki',
  runDir: '/run/tunnelops',
};
const lines = (text: string): string[] => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe('render-config', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'render-config-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('routes every on-prem CIDR of the site and iroutes them in the client ccd', () => {
    const r = renderServer({ ...base, vpcCidrs: ['10.0.0.0/16'] });
    expect(lines(r.config)).toEqual(
      expect.arrayContaining(['route 10.20.0.0 255.255.0.0', 'route 10.21.0.0 255.255.0.0']),
    );
    expect(lines(r.config)).toContain('push "route 10.0.0.0 255.255.0.0"');
    expect(r.ccd.name).toBe('dc1-secondary-client');
    expect(lines(r.ccd.text)).toEqual(['iroute 10.20.0.0 255.255.0.0', 'iroute 10.21.0.0 255.255.0.0']);
  });

  it('ships the hardened settings and none of the reference weaknesses', () => {
    const conf = lines(renderServer(base).config);
    for (const want of [
      'tls-crypt /etc/openvpn/pki/tls-crypt.key',
      'data-ciphers AES-256-GCM:CHACHA20-POLY1305',
      'tls-version-min 1.2',
      'remote-cert-tls client',
      'verify-x509-name dc1-secondary-client name',
      'ccd-exclusive',
      'allow-compression no',
      'keepalive 1 5',
      'user nobody',
    ]) {
      expect(conf).toContain(want);
    }
    const text = conf.join('\n');
    // The client certificate at each handshake, for the monitor (peer-cert.sh only copies it, always accepts).
    expect(text).toMatch(/^tls-export-cert \S+\/peer$/m);
    expect(text).toMatch(/^tls-verify "\/usr\/local\/bin\/peer-cert\.sh \S+\/peer\/client\.crt"$/m);
    expect(text).not.toMatch(/duplicate-cn|comp-lzo|^compress|tls-auth|cipher BF-CBC/m);
    expect(text).not.toContain('{{');
  });

  it('gives each tunnel of a site its own tunnel network unless one is given', () => {
    const net = (tunnel: string, tunnelNetwork?: string) =>
      lines(renderServer({ ...base, tunnel, ...(tunnelNetwork ? { tunnelNetwork } : {}) }).config).find((l) =>
        l.startsWith('server '),
      );
    expect(net('primary')).toBe('server 100.64.0.0 255.255.255.0');
    expect(net('secondary')).toBe('server 100.64.1.0 255.255.255.0');
    expect(net('primary', '172.31.250.0/24')).toBe('server 172.31.250.0 255.255.255.0');
  });

  it('refuses unknown sites and tunnels, bad CIDRs and unfilled placeholders', () => {
    expect(() => renderServer({ ...base, site: 'nope' })).toThrow(/site "nope"/);
    expect(() => renderServer({ ...base, tunnel: 'tertiary' })).toThrow(/no tunnel "tertiary"/);
    expect(() => cidrToNetmask('10.20.0.1/16')).toThrow(/host bits/);
    expect(() => cidrToNetmask('10.20.0.0/33')).toThrow(/not an IPv4 CIDR/);
    expect(cidrToNetmask('0.0.0.0/0')).toEqual(['0.0.0.0', '0.0.0.0']);
    expect(cidrToNetmask('192.168.7.128/25')).toEqual(['192.168.7.128', '255.255.255.128']);
    expect(() => fillTemplate('dev {{TUN_DEV}}\nport {{PORT}}', { TUN_DEV: 'tun0' })).toThrow(/\{\{PORT\}\}/);
  });

  it('runs as the CLI the server entrypoint calls, writing server.conf and the ccd file', async () => {
    const out = join(tmp, 'run');
    await promisify(execFile)('node_modules/.bin/tsx', [
      'images/render-config.ts',
      '--topology',
      'tunnels.yml',
      '--site',
      'dc1',
      '--tunnel',
      'primary',
      '--pki',
      '/pki',
      '--out',
      out,
      '--vpc-cidrs',
      '10.0.0.0/16,10.1.0.0/16',
      '--port',
      '1195',
    ]);
    const conf = lines(readFileSync(join(out, 'server.conf'), 'utf8'));
    expect(conf).toEqual(
      expect.arrayContaining([
        'port 1195',
        'push "route 10.1.0.0 255.255.0.0"',
        `client-config-dir ${out}/ccd`,
      ]),
    );
    expect(readFileSync(join(out, 'ccd', 'dc1-primary-client'), 'utf8')).toContain(
      'iroute 10.20.0.0 255.255.0.0',
    );
  }, 30_000);
});
