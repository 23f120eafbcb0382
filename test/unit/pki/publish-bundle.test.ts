import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parsePkiArgs, UsageError } from '../../../src/cli/pki-args.js';
import { Authority } from '../../../src/pki/authority.js';
import { parseRemote, writeBundle } from '../../../src/pki/bundle.js';
import { DirTarget, PUBLISHED_FILES, publishSite } from '../../../src/pki/publish.js';
import { SiteDir } from '../../../src/pki/site-dir.js';

const run = promisify(execFile);
const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('publish and the on-prem bundle', () => {
  let root: string;
  let dir: SiteDir;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pki-pub-'));
    dir = new SiteDir(join(root, 'pki'), 'dc1');
    const authority = new Authority(dir);
    await authority.init();
    await authority.issue(['primary', 'secondary']);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("publishes each server's own set under <site>/<tunnel>/, secrets 0600", async () => {
    const out = join(root, 'bucket');
    const written = await publishSite(dir, undefined, new DirTarget(out));
    expect(written).toHaveLength(2 * PUBLISHED_FILES.length);
    for (const tunnel of ['primary', 'secondary']) {
      const prefix = join(out, 'dc1', tunnel);
      expect((await readdir(prefix)).sort()).toEqual([
        'ca.crt',
        'crl.pem',
        'server.crt',
        'server.key',
        'tls-crypt.key',
      ]);
      expect(await readFile(join(prefix, 'server.crt'), 'utf8')).toBe(
        await readFile(dir.cert(tunnel, 'server'), 'utf8'),
      );
      expect(await mode(join(prefix, 'server.key'))).toBe(0o600);
      expect(await mode(join(prefix, 'tls-crypt.key'))).toBe(0o600);
      expect(await mode(join(prefix, 'ca.crt'))).toBe(0o644);
    }
    // A server never gets the client's key nor another tunnel's files.
    expect(written.some((w) => w.includes('client'))).toBe(false);
  });

  it('during a CA rollover trusts both CAs with both CRLs: a certificate of either verifies, CRL checked', async () => {
    const next = new SiteDir(join(root, 'pki-next'), 'dc1');
    await new Authority(next).init();
    await new Authority(next).issue(['primary']);
    const out = join(root, 'bucket-rollover');
    await publishSite(next, ['primary'], new DirTarget(out), dir);
    const ca = join(out, 'dc1', 'primary', 'ca.crt');
    const crl = join(out, 'dc1', 'primary', 'crl.pem');
    expect((await readFile(ca, 'utf8')).match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    for (const cert of [next.cert('primary', 'client'), dir.cert('primary', 'client')]) {
      const r = await run('openssl', ['verify', '-crl_check', '-CAfile', ca, '-CRLfile', crl, cert]);
      expect(r.stdout).toBe(`${cert}: OK\n`);
    }
    const onprem = join(root, 'onprem-rollover');
    await writeBundle(next, { remotes: new Map([['primary', '198.51.100.7']]), out: onprem, alsoTrust: dir });
    expect(await readFile(join(onprem, 'primary', 'ca.crt'), 'utf8')).toBe(await readFile(ca, 'utf8'));
  });

  it('publishes nothing when one server certificate is not from the CA', async () => {
    const other = new SiteDir(join(root, 'other'), 'dc1');
    await new Authority(other).init();
    await new Authority(other).issue(['primary']);
    const tampered = new SiteDir(join(root, 'tampered'), 'dc1');
    await cp(dir.dir, tampered.dir, { recursive: true });
    await cp(other.cert('primary', 'server'), tampered.cert('primary', 'server'));
    const out = join(root, 'bucket-tampered');
    await expect(publishSite(tampered, undefined, new DirTarget(out))).rejects.toThrow(/nothing published/);
    await expect(readdir(out)).rejects.toThrow();
  });

  it('bundles per tunnel what its on-prem host installs, with the server address and names filled in', async () => {
    const out = join(root, 'onprem');
    const remotes = new Map([parseRemote('primary=198.51.100.7'), parseRemote('secondary=198.51.100.8')]);
    await writeBundle(dir, { remotes, out });
    const p = join(out, 'primary');
    expect((await readdir(p)).sort()).toEqual([
      'README.md',
      'ca.crt',
      'client.conf',
      'client.crt',
      'client.key',
      'tls-crypt.key',
      'tunnel.env',
      'tunnelops-dc1-primary.service',
    ]);
    expect(await mode(join(p, 'client.key'))).toBe(0o600);
    expect(await mode(join(p, 'tls-crypt.key'))).toBe(0o600);
    expect(await readFile(join(p, 'tls-crypt.key'), 'utf8')).toBe(
      await readFile(dir.tlsCrypt('primary'), 'utf8'),
    );
    const conf = await readFile(join(p, 'client.conf'), 'utf8');
    expect(conf).toContain('remote 198.51.100.7 1194');
    expect(conf).toContain('verify-x509-name dc1-primary-server name');
    expect(conf).toContain('cert /etc/tunnelops/dc1-primary/client.crt');
    expect(conf).not.toContain('{{');
    expect(await readFile(join(p, 'tunnel.env'), 'utf8')).toMatch(
      /REMOTE_HOST=198.51.100.7\nREMOTE_PORT=1194\nSERVER_CN=dc1-primary-server\n/,
    );
    const unit = await readFile(join(p, 'tunnelops-dc1-primary.service'), 'utf8');
    expect(unit).toContain('--cap-add NET_ADMIN --device /dev/net/tun');
    expect(unit).not.toContain('--privileged');
    expect(await readFile(join(out, 'secondary', 'client.conf'), 'utf8')).toContain(
      'remote 198.51.100.8 1194',
    );
  });

  it('refuses a bundle without every server address, or with a bad one, and writes nothing', async () => {
    const out = join(root, 'onprem-bad');
    await expect(writeBundle(dir, { remotes: new Map([['primary', '198.51.100.7']]), out })).rejects.toThrow(
      /--remote secondary=<PublicIp-secondary>/,
    );
    await expect(
      writeBundle(dir, {
        remotes: new Map([
          ['primary', '1.2.3.4'],
          ['secondary', '1.2.3.5'],
          ['third', '1.2.3.6'],
        ]),
        out,
      }),
    ).rejects.toThrow(/no client certificate for tunnel "third"/);
    await expect(readdir(out)).rejects.toThrow();
    expect(() => parseRemote('primary=1.2.3.4|x')).toThrow(/expected <tunnel>=<server address>/);
    expect(() => parseRemote('primary')).toThrow(/expected/);
  });
});

describe('npm run pki arguments', () => {
  it('parses the documented command lines', () => {
    expect(parsePkiArgs(['init', 'dc1'])).toMatchObject({ command: 'init', site: 'dc1' });
    expect(parsePkiArgs(['publish', 'dc1', '--bucket', 'b'])).toMatchObject({
      command: 'publish',
      bucket: 'b',
    });
    expect(
      parsePkiArgs([
        'bundle',
        'dc1',
        '--out',
        './x',
        '--remote',
        'primary=1.2.3.4',
        '--remote',
        'secondary=1.2.3.5',
      ]),
    ).toMatchObject({ remotes: ['primary=1.2.3.4', 'secondary=1.2.3.5'], out: './x' });
    expect(parsePkiArgs(['list', '--json'])).toMatchObject({ command: 'list', json: true });
    expect(parsePkiArgs(['--help']).command).toBe('help');
    expect(parsePkiArgs([]).command).toBe('help');
  });

  it('says what is wrong with a bad command line', () => {
    expect(() => parsePkiArgs(['frob'])).toThrow(UsageError);
    expect(() => parsePkiArgs(['issue'])).toThrow(/issue <site>/);
    expect(() => parsePkiArgs(['issue', 'dc1', '--days', '0'])).toThrow(/--days 0/);
    expect(() => parsePkiArgs(['issue', 'dc1', '--role', 'admin'])).toThrow(/server or client/);
    expect(() => parsePkiArgs(['revoke', 'dc1', '--reason', 'boredom'])).toThrow(/--reason boredom/);
    expect(() => parsePkiArgs(['list', '--bogus'])).toThrow(UsageError);
  });
});
