import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Authority } from '../../../src/pki/authority.js';
import { crlNumber } from '../../../src/pki/crl.js';
import { siteInventory } from '../../../src/pki/inventory.js';
import { SiteDir } from '../../../src/pki/site-dir.js';
import * as x509 from '../../../src/pki/x509.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const DAY = 86_400_000;
const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('the PKI authority (CA, issue, renew, revoke, CRL)', () => {
  let root: string;
  let dir: SiteDir;
  let lines: string[];
  let now: Date;
  let authority: Authority;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pki-unit-'));
    dir = new SiteDir(root, 'dc1');
    lines = [];
    now = NOW;
    authority = new Authority(dir, { now: () => now, report: (l) => lines.push(l) });
    await authority.init(3650, 30);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('makes a CA for signing only, its key 0600 in a 0700 directory, and a first empty CRL', async () => {
    const ca = await dir.readCa();
    expect(ca.subject).toBe('CN=tunnelops-dc1-ca');
    expect(await ca.verify({ signatureOnly: true })).toBe(true);
    expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(ca.notAfter.getTime() - NOW.getTime()).toBe(3650 * DAY);
    expect(await mode(dir.caKey)).toBe(0o600);
    expect(await mode(dir.dir)).toBe(0o700);
    const crl = await dir.readCrl();
    expect(crl?.entries).toHaveLength(0);
    expect(crl && crlNumber(crl)).toBe(1);
    expect(crl?.nextUpdate?.getTime()).toBe(NOW.getTime() + 30 * DAY);
    expect(await crl?.verify({ publicKey: ca })).toBe(true);
  });

  it('refuses a second init and leaves the CA as it was', async () => {
    const before = await readFile(dir.caKey, 'utf8');
    await expect(authority.init()).rejects.toThrow(/already has a CA.*nothing changed/);
    expect(await readFile(dir.caKey, 'utf8')).toBe(before);
  });

  it('issues per tunnel a server and a client certificate the other side accepts, and a tls-crypt key', async () => {
    await authority.issue(['primary', 'secondary']);
    const ca = await dir.readCa();
    for (const tunnel of ['primary', 'secondary']) {
      for (const [role, eku] of [
        ['server', x509.ExtendedKeyUsage.serverAuth],
        ['client', x509.ExtendedKeyUsage.clientAuth],
      ] as const) {
        const cert = await dir.readCert(dir.cert(tunnel, role));
        expect(cert.subject).toBe(`CN=dc1-${tunnel}-${role}`);
        expect(cert.issuer).toBe(ca.subject);
        expect(await cert.verify({ publicKey: ca, signatureOnly: true })).toBe(true);
        expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([eku]);
        expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
        expect(cert.notAfter.getTime() - NOW.getTime()).toBe(365 * DAY);
        expect(await mode(dir.key(tunnel, role))).toBe(0o600);
      }
      const tlsCrypt = await readFile(dir.tlsCrypt(tunnel), 'utf8');
      expect(tlsCrypt).toMatch(/-----BEGIN OpenVPN Static key V1-----\n([0-9a-f]{32}\n){16}-----END/);
      expect(await mode(dir.tlsCrypt(tunnel))).toBe(0o600);
    }
    const serials = (await dir.readState()).certs.map((c) => c.serial);
    expect(new Set(serials).size).toBe(4);
  });

  it('never reports a private key or a tls-crypt key, only names, serials and paths', async () => {
    await authority.issue(['primary']);
    const secrets = await Promise.all(
      [dir.caKey, dir.key('primary', 'server'), dir.key('primary', 'client'), dir.tlsCrypt('primary')].map(
        (p) => readFile(p, 'utf8'),
      ),
    );
    const said = lines.join('\n');
    expect(said).not.toMatch(/PRIVATE KEY|Static key/);
    for (const s of secrets)
      for (const line of s.split('\n').filter((l) => l.length > 20)) expect(said).not.toContain(line);
  });

  it('refuses to issue over a current certificate (that is renew) and changes nothing', async () => {
    await authority.issue(['primary']);
    const before = await readFile(dir.stateFile, 'utf8');
    await expect(authority.issue(['primary'])).rejects.toThrow(
      /already has a certificate.*renew dc1 --tunnel primary/,
    );
    expect(await readFile(dir.stateFile, 'utf8')).toBe(before);
  });

  it('renews with a new key and serial, keeps the old one listed until it expires, and the tls-crypt key', async () => {
    await authority.issue(['primary']);
    const oldKey = await readFile(dir.key('primary', 'server'), 'utf8');
    const tlsCrypt = await readFile(dir.tlsCrypt('primary'), 'utf8');
    const oldSerial = (await dir.readState()).certs[0]?.serial;
    now = new Date(NOW.getTime() + 300 * DAY);
    await authority.renew(['primary'], ['server']);
    expect(await readFile(dir.key('primary', 'server'), 'utf8')).not.toBe(oldKey);
    expect(await readFile(dir.tlsCrypt('primary'), 'utf8')).toBe(tlsCrypt);
    const servers = (await siteInventory(dir, now)).filter((e) => e.role === 'server');
    expect(servers.map((e) => [e.serial === oldSerial, e.daysLeft])).toEqual([
      [true, 65],
      [false, 365],
    ]);
    // Once the old one has expired it is no longer in play.
    const later = (await siteInventory(dir, new Date(NOW.getTime() + 400 * DAY))).filter(
      (e) => e.role === 'server',
    );
    expect(later.map((e) => e.serial === oldSerial)).toEqual([false]);
  });

  it('revokes by serial into a new, higher-numbered CRL, and refuses unknown or repeated revocations', async () => {
    await authority.issue(['primary']);
    const client = (await dir.readState()).certs.find((c) => c.role === 'client');
    await authority.revoke(client?.serial.toLowerCase() ?? '', 'keyCompromise');
    const crl = await dir.readCrl();
    expect(crl && crlNumber(crl)).toBe(2);
    expect(crl?.findRevoked(client?.serial ?? '')?.reason).toBe(x509.X509CrlReason.keyCompromise);
    expect(crl?.entries).toHaveLength(1);
    await expect(authority.revoke(client?.serial ?? '', 'unspecified')).rejects.toThrow(/already revoked/);
    await expect(authority.revoke('ABCDEF', 'unspecified')).rejects.toThrow(
      /no certificate with serial ABCDEF/,
    );
    expect(crlNumber((await dir.readCrl()) as x509.X509Crl)).toBe(2);
    const listed = (await siteInventory(dir, NOW)).find((e) => e.serial === client?.serial);
    expect(listed?.revoked).toBe(true);
    // The revoked client gets a successor with issue --role client; the server is untouched.
    await authority.issue(['primary'], ['client']);
    expect((await dir.readState()).certs.filter((c) => c.role === 'client' && !c.revoked)).toHaveLength(1);
  });

  it('needs the CA key only where it signs, and finds it where --ca-key says', async () => {
    const offline = join(root, 'offline-ca.key');
    await rename(dir.caKey, offline);
    await expect(authority.issue(['primary'])).rejects.toThrow(/needs the CA key.*--ca-key/);
    await expect(authority.crl()).rejects.toThrow(/needs the CA key/);
    const withKey = new Authority(dir, { now: () => now, caKeyPath: offline });
    await withKey.issue(['primary']);
    expect((await dir.readState()).certs).toHaveLength(2);
    // Listing needs no key at all.
    expect((await siteInventory(dir, NOW)).map((e) => e.role)).toEqual(['ca', 'crl', 'server', 'client']);
  });

  it('refuses a certificate that would outlive its CA', async () => {
    await expect(authority.issue(['primary'], ['server'], 4000)).rejects.toThrow(/outlive its CA/);
  });

  it('counts the CRL next update as an expiry: days left, negative once past', async () => {
    const crl = (await siteInventory(dir, new Date(NOW.getTime() + 31 * DAY))).find((e) => e.role === 'crl');
    expect(crl).toMatchObject({ tunnel: null, serial: '1', daysLeft: -1, revoked: false });
  });

  it('refuses site names that are not names (they become paths and bucket prefixes)', () => {
    expect(() => new SiteDir(root, '../etc')).toThrow(/not a name/);
    expect(() => dir.cert('a/b', 'server')).toThrow(/not a name/);
  });
});
