/**
 * `npm run pki` as a deployer uses it (real child processes): the docs' command lines in order, then what
 * they made checked with the real openssl (verify against the CA, the CRL parsed and enforced).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { runCli, sandboxEnv } from '../helpers/sandbox-process.js';

const run = promisify(execFile);
let root: string;
let env: NodeJS.ProcessEnv;
let site: string;

const pki = (args: string[], extra: Record<string, string> = {}) => runCli('pki', args, { ...env, ...extra });

async function openssl(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('openssl', args, { timeout: 15_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, out: (x.stdout ?? '') + (x.stderr ?? '') };
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pki-e2e-'));
  env = sandboxEnv({ TUNNELOPS_PKI_DIR: join(root, 'pki') });
  site = join(root, 'pki', 'dc1');
});
afterAll(() => rm(root, { recursive: true, force: true }));

jest.setTimeout(120_000);

describe('npm run pki, end to end', () => {
  it('--help names every command and where the CA key is needed', async () => {
    const r = await pki(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['init', 'issue', 'renew', 'revoke', 'crl', 'list', 'publish', 'bundle'])
      expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.out).toMatch(/issue <site>.*CA key: needed/);
    expect(r.out).toMatch(/publish <site>.*CA key: not needed/);
    expect(r.out).toContain('TUNNELOPS_PKI_DIR');
  });

  it('init, issue (tunnels from tunnels.yml), list --json: certificates openssl verifies against the CA', async () => {
    expect((await pki(['init', 'dc1'])).code).toBe(0);
    const issued = await pki(['issue', 'dc1']);
    expect(issued.code).toBe(0);
    expect(issued.out + issued.err).not.toMatch(/PRIVATE KEY|Static key/);
    const list = await pki(['list', '--json']);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.out.trim().split('\n').at(-1) ?? '') as Record<string, unknown>[];
    expect(rows.map((r) => `${r.tunnel}/${r.role}`)).toEqual([
      'null/ca',
      'null/crl',
      'primary/server',
      'primary/client',
      'secondary/server',
      'secondary/client',
    ]);
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(
        ['daysLeft', 'notAfter', 'revoked', 'role', 'serial', 'site', 'subject', 'tunnel'].sort(),
      );
      expect(r.site).toBe('dc1');
    }
    expect(rows.find((r) => r.role === 'server')?.daysLeft).toBe(364);
    for (const tunnel of ['primary', 'secondary'])
      for (const role of ['server', 'client']) {
        const cert = join(site, tunnel, `${role}.crt`);
        const v = await openssl(['verify', '-CAfile', join(site, 'ca.crt'), '-purpose', `ssl${role}`, cert]);
        expect(v).toEqual({ code: 0, out: `${cert}: OK\n` });
        // The serial openssl reads is the one the list shows.
        const serial = (await openssl(['x509', '-in', cert, '-noout', '-serial'])).out
          .trim()
          .replace('serial=', '');
        expect(rows.find((r) => r.tunnel === tunnel && r.role === role)?.serial).toBe(serial);
        expect((await stat(join(site, tunnel, `${role}.key`))).mode & 0o777).toBe(0o600);
      }
    const crl = await openssl([
      'crl',
      '-in',
      join(site, 'crl.pem'),
      '-noout',
      '-CAfile',
      join(site, 'ca.crt'),
    ]);
    expect(crl.out).toContain('verify OK');
  });

  it('revoke + the CRL: openssl refuses the revoked client and still accepts the other', async () => {
    const r = await pki([
      'revoke',
      'dc1',
      '--tunnel',
      'primary',
      '--role',
      'client',
      '--reason',
      'keyCompromise',
    ]);
    expect(r.code).toBe(0);
    const text = (await openssl(['crl', '-in', join(site, 'crl.pem'), '-noout', '-text'])).out;
    expect(text).toMatch(/X509v3 CRL Number: \n\s+2/);
    expect(text).toContain('Key Compromise');
    const check = (tunnel: string) =>
      openssl([
        'verify',
        '-crl_check',
        '-CRLfile',
        join(site, 'crl.pem'),
        '-CAfile',
        join(site, 'ca.crt'),
        join(site, tunnel, 'client.crt'),
      ]);
    const revoked = await check('primary');
    expect(revoked.code).not.toBe(0);
    expect(revoked.out).toContain('certificate revoked');
    expect((await check('secondary')).code).toBe(0);
    const rows = JSON.parse((await pki(['list', 'dc1', '--json'])).out.trim().split('\n').at(-1) ?? '') as {
      role: string;
      tunnel: string;
      revoked: boolean;
    }[];
    expect(rows.filter((x) => x.revoked).map((x) => `${x.tunnel}/${x.role}`)).toEqual(['primary/client']);
  });

  it('publish --dir and bundle, as the deploy guide writes them', async () => {
    const pub = await pki(['publish', 'dc1', '--dir', join(root, 'bucket')]);
    expect(pub.code).toBe(0);
    expect((await readdir(join(root, 'bucket', 'dc1', 'secondary'))).sort()).toEqual([
      'ca.crt',
      'crl.pem',
      'server.crt',
      'server.key',
      'tls-crypt.key',
    ]);
    // The revoked primary client has no bundle until it has a successor.
    const out = join(root, 'dc1-onprem');
    const args = [
      'bundle',
      'dc1',
      '--out',
      out,
      '--remote',
      'primary=198.51.100.7',
      '--remote',
      'secondary=198.51.100.8',
    ];
    const refused = await pki(args);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('issue dc1 --tunnel primary --role client');
    expect((await pki(['issue', 'dc1', '--tunnel', 'primary', '--role', 'client'])).code).toBe(0);
    expect((await pki(args)).code).toBe(0);
    const v = await openssl([
      'verify',
      '-CAfile',
      join(out, 'primary', 'ca.crt'),
      join(out, 'primary', 'client.crt'),
    ]);
    expect(v.code).toBe(0);
    expect(await readFile(join(out, 'primary', 'client.conf'), 'utf8')).toContain('remote 198.51.100.7 1194');
  });

  it('bad input: exit 2 for the command line, 1 for a refusal, and nothing changed', async () => {
    const state = await readFile(join(site, 'state.json'), 'utf8');
    const usage = await pki(['issue']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('issue <site>');
    const again = await pki(['init', 'dc1']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already has a CA');
    const noKey = await pki(['crl', 'dc1', '--ca-key', join(root, 'missing.key')]);
    expect(noKey.code).toBe(1);
    expect(noKey.err).toContain('needs the CA key');
    expect(await readFile(join(site, 'state.json'), 'utf8')).toBe(state);
    const none = await pki(['list'], { TUNNELOPS_PKI_DIR: join(root, 'empty') });
    expect(none.code).toBe(1);
    expect(none.err).toContain('npm run pki -- init');
  });
});
