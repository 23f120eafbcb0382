import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';

const HOOK = 'images/openvpn-server/peer-cert.sh';

function run(args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve) => {
    const child = execFile('sh', [HOOK, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    child.on('exit', (code) => resolve(code));
  });
}

describe('peer-cert.sh (the tls-verify hook that keeps the client certificate of the last handshake)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peer-cert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const exported = join(dir, 'exported.pem');
  writeFileSync(exported, '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
  const dest = join(dir, 'client.crt');

  it('keeps the client certificate (depth 0) and never the CA (depth 1); it always accepts', async () => {
    expect(await run([dest, '1', 'CN=tunnelops-dc1-ca'], { peer_cert: exported })).toBe(0);
    expect(existsSync(dest)).toBe(false);
    expect(await run([dest, '0', 'CN=dc1-primary-client'], { peer_cert: exported })).toBe(0);
    expect(readFileSync(dest, 'utf8')).toContain('client');
  });

  it('accepts even when it cannot keep anything: no exported file, or nowhere to write', async () => {
    expect(await run([dest, '0', 'CN=x'], {})).toBe(0);
    expect(await run([join(dir, 'missing', 'client.crt'), '0', 'CN=x'], { peer_cert: exported })).toBe(0);
  });
});
