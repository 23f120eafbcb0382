/**
 * images/openvpn-server/crl-refresh.sh: a fetched CRL replaces the server's only when it is signed by the CA
 * and newer; a failed fetch, garbage, another CA's CRL or an older copy keep the current one (a bad CRL
 * would refuse every client).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Authority } from '../../../src/pki/authority.js';
import { SiteDir } from '../../../src/pki/site-dir.js';
import { REPO_ROOT } from '../../lab/lab-processes.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'images/openvpn-server/crl-refresh.sh');

describe('crl-refresh.sh', () => {
  let root: string;
  let site: SiteDir;
  let dest: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'crl-refresh-'));
    site = new SiteDir(join(root, 'pki'), 'dc1');
    await new Authority(site).init();
    dest = join(root, 'server-crl.pem');
    await copyFile(site.crl, dest);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  async function refreshFrom(file: string) {
    try {
      const r = await run('bash', [SCRIPT, '--once', dest, site.caCrt, '--', 'cat', file]);
      return { code: 0, err: r.stderr };
    } catch (e) {
      const x = e as { code?: number; stderr?: string };
      return { code: x.code ?? -1, err: x.stderr ?? '' };
    }
  }

  it('installs a newer CRL of the same CA, world-readable for openvpn running as nobody', async () => {
    const older = join(root, 'older.pem');
    await copyFile(site.crl, older);
    await new Authority(site).crl();
    const r = await refreshFrom(site.crl);
    expect(r).toEqual({ code: 0, err: expect.stringContaining('CRL number 1 -> 2 installed') });
    expect(await readFile(dest, 'utf8')).toBe(await readFile(site.crl, 'utf8'));
    expect((await stat(dest)).mode & 0o777).toBe(0o644);
    // The same CRL again: nothing to do.
    expect(await refreshFrom(site.crl)).toEqual({ code: 0, err: '' });
    // An older copy (a stale cache, a rollback) never replaces it.
    const stale = await refreshFrom(older);
    expect(stale.code).toBe(1);
    expect(stale.err).toContain('not newer');
    expect(await readFile(dest, 'utf8')).toBe(await readFile(site.crl, 'utf8'));
  });

  it('keeps the current CRL on a failed fetch, garbage, or another CA', async () => {
    const before = await readFile(dest, 'utf8');
    const garbage = join(root, 'garbage.pem');
    await writeFile(garbage, '-----BEGIN X509 CRL-----\nnot a crl\n-----END X509 CRL-----\n');
    const other = new SiteDir(join(root, 'other'), 'dc1');
    await new Authority(other).init();
    await new Authority(other).crl();
    await new Authority(other).crl();
    for (const [file, why] of [
      [join(root, 'missing.pem'), 'fetch failed'],
      [garbage, 'not a CRL signed by'],
      [other.crl, 'not a CRL signed by'],
    ] as const) {
      const r = await refreshFrom(file);
      expect(r.code).toBe(1);
      expect(r.err).toContain(why);
      expect(await readFile(dest, 'utf8')).toBe(before);
    }
  });
});
