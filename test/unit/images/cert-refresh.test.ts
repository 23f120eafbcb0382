/**
 * images/openvpn-server/cert-refresh.sh: a newly published server certificate and key replace the host's pair
 * (for the server's next start) only when the certificate is a current server certificate of the CA and matches
 * the key; a failed fetch, another CA's certificate or a mismatched pair keep the current one.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Authority } from '../../../src/pki/authority.js';
import { DirTarget, publishSite } from '../../../src/pki/publish.js';
import { SiteDir } from '../../../src/pki/site-dir.js';
import { REPO_ROOT } from '../../lab/lab-processes.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'images/openvpn-server/cert-refresh.sh');

describe('cert-refresh.sh', () => {
  let root: string;
  let site: SiteDir;
  let host: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cert-refresh-'));
    site = new SiteDir(join(root, 'pki'), 'dc1');
    await new Authority(site).init();
    await new Authority(site).issue(['primary'], ['server', 'client']);
    await publishSite(site, ['primary'], new DirTarget(join(root, 'bucket')));
    host = join(root, 'host');
    await mkdir(host);
    for (const f of ['ca.crt', 'server.crt', 'server.key'])
      await copyFile(join(root, 'bucket/dc1/primary', f), join(host, f));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** Runs one refresh with `cat <dir>/{}` as the fetch command. */
  async function refreshFrom(dir: string) {
    try {
      const r = await run('bash', [SCRIPT, '--once', host, '--', 'cat', join(dir, '{}')]);
      return { code: 0, err: r.stderr };
    } catch (e) {
      const x = e as { code?: number; stderr?: string };
      return { code: x.code ?? -1, err: x.stderr ?? '' };
    }
  }
  const hostPair = async () => [
    await readFile(join(host, 'server.crt'), 'utf8'),
    await readFile(join(host, 'server.key'), 'utf8'),
  ];

  it('installs a renewed pair (key 0600, certificate 0644); the same pair again changes nothing', async () => {
    await new Authority(site).renew(['primary'], ['server']);
    await publishSite(site, ['primary'], new DirTarget(join(root, 'bucket')));
    const r = await refreshFrom(join(root, 'bucket/dc1/primary'));
    expect(r).toEqual({ code: 0, err: expect.stringContaining('installed serial=') });
    expect(await hostPair()).toEqual([
      await readFile(site.cert('primary', 'server'), 'utf8'),
      await readFile(site.key('primary', 'server'), 'utf8'),
    ]);
    expect((await stat(join(host, 'server.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(host, 'server.crt'))).mode & 0o777).toBe(0o644);
    expect(await refreshFrom(join(root, 'bucket/dc1/primary'))).toEqual({ code: 0, err: '' });
  });

  it("keeps the current pair: failed fetch, a key that is not the certificate's, a client certificate, another CA", async () => {
    const before = await hostPair();
    const bad = join(root, 'bad');
    await mkdir(bad);
    expect((await refreshFrom(join(root, 'missing'))).err).toContain('fetch failed');
    // The certificate published with another tunnel's key.
    await copyFile(site.cert('primary', 'server'), join(bad, 'server.crt'));
    await copyFile(site.key('primary', 'client'), join(bad, 'server.key'));
    expect((await refreshFrom(bad)).err).toContain('does not match');
    // A client certificate with its own key: signed by the CA, but not made for a server.
    await copyFile(site.cert('primary', 'client'), join(bad, 'server.crt'));
    expect((await refreshFrom(bad)).err).toContain('not a current server certificate');
    // Another site's CA.
    const other = new SiteDir(join(root, 'pki'), 'dc2');
    await new Authority(other).init();
    await new Authority(other).issue(['primary'], ['server']);
    await copyFile(other.cert('primary', 'server'), join(bad, 'server.crt'));
    await copyFile(other.key('primary', 'server'), join(bad, 'server.key'));
    const r = await refreshFrom(bad);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('not a current server certificate');
    expect(await hostPair()).toEqual(before);
  });
});
