import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createApp } from '../../src/app/create-app.js';
import { checkListenExposure } from '../../src/config/listen-check.js';
import { loadEnv } from '../../src/config/load-env.js';
import { ConfigError } from '../../src/domain/errors.js';
import { createSandboxAccount } from '../../src/local/sandbox-account.js';
import { silentLogger } from '../../src/log.js';
import { systemClock } from '../../src/ports/clock.js';
import { demoTopology } from '../helpers/test-app.js';

// Finding 4: the sandbox listened on 0.0.0.0 and, with no TUNNELOPS_API_TOKEN, /api/* was open to the network.
describe('finding 4: loopback by default; no open API on the network by accident', () => {
  it('HOST defaults to 127.0.0.1', () => {
    expect(loadEnv({}).HOST).toBe('127.0.0.1');
  });

  it('outside the sandbox a non-loopback HOST without a token refuses to start, before listening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-listen-'));
    try {
      const env = loadEnv({ HOST: '0.0.0.0', PORT: '0', LOG_LEVEL: 'silent', TUNNELOPS_DATA_DIR: dataDir });
      // An injected account is "not the sandbox", like AWS.
      const account = createSandboxAccount({ topology: demoTopology(), clock: systemClock });
      const started = createApp({ env, topology: demoTopology(), log: silentLogger(), account });
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(/TUNNELOPS_API_TOKEN/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a token, a loopback HOST, or TUNNELOPS_API_OPEN=1 lets it start; the sandbox only warns', () => {
    const env = (vars: Record<string, string>) => loadEnv({ HOST: '0.0.0.0', ...vars });
    expect(() => checkListenExposure(env({}), false)).toThrow(ConfigError);
    expect(checkListenExposure(env({ TUNNELOPS_API_TOKEN: 't0ken' }), false)).toBeUndefined();
    expect(checkListenExposure(env({ TUNNELOPS_API_OPEN: '1' }), false)).toBeUndefined();
    expect(checkListenExposure(env({ HOST: '127.0.0.1' }), false)).toBeUndefined();
    expect(checkListenExposure(env({ HOST: '::1' }), false)).toBeUndefined();
    expect(checkListenExposure(env({}), true)).toMatch(/open to the network/);
  });
});
