import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { applyEnvFile, describeEnvFile } from '../../../src/config/env-file.js';

const dir = mkdtempSync(join(tmpdir(), 'tunnelops-envfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('.env', () => {
  it('fills what the environment lacks; the environment wins; the summary names the file', () => {
    const path = join(dir, 'a.env');
    writeFileSync(path, '# comment\nPORT=3457\nHOST=0.0.0.0\nSLACK_BOT_TOKEN="xoxb-from-file"\n');
    const env: NodeJS.ProcessEnv = { HOST: '127.0.0.1', TUNNELOPS_ENV_FILE: path };
    const r = applyEnvFile(env);
    expect(env).toMatchObject({ PORT: '3457', HOST: '127.0.0.1', SLACK_BOT_TOKEN: 'xoxb-from-file' });
    expect(r).toEqual({ path, applied: ['PORT', 'SLACK_BOT_TOKEN'], overridden: ['HOST'] });
    expect(describeEnvFile(r)).toBe(`settings: ${path} (2 set; the environment overrides HOST)`);
  });

  it('reads nothing when there is no file, or when TUNNELOPS_ENV_FILE is empty', () => {
    const none: NodeJS.ProcessEnv = { TUNNELOPS_ENV_FILE: join(dir, 'missing.env') };
    expect(applyEnvFile(none).path).toBeNull();
    const path = join(dir, 'b.env');
    writeFileSync(path, 'PORT=1\n');
    const off: NodeJS.ProcessEnv = { TUNNELOPS_ENV_FILE: '' };
    expect(applyEnvFile(off, '')).toEqual({ path: null, applied: [], overridden: [] });
    expect(off.PORT).toBeUndefined();
    expect(describeEnvFile({ path: null, applied: [], overridden: [] })).toContain('no .env file');
  });

  it('refuses an oversized file and changes nothing', () => {
    const path = join(dir, 'big.env');
    writeFileSync(path, `A=${'x'.repeat(70_000)}\n`);
    const env: NodeJS.ProcessEnv = { TUNNELOPS_ENV_FILE: path };
    expect(() => applyEnvFile(env)).toThrow(/at most 65536/);
    expect(env.A).toBeUndefined();
  });
});
