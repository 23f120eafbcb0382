import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The sandbox still checks signatures: without SLACK_SIGNING_SECRET a secret is generated once and kept
 * in the data dir (mode 0600), where the `vpn` CLI finds it.
 */
export function sandboxSigningSecret(dataDir: string): string {
  const path = join(dataDir, 'slack-signing-secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}
