import { beforeAll, describe, expect, it } from '@jest/globals';
import { type Synthesized, synthesize } from './helpers/synth.js';

/** Asset hashes change with every dependency bump or source edit; blank them so the snapshot shows design changes. */
function blankAssets(template: unknown): unknown {
  const text = JSON.stringify(template)
    .replace(/[0-9a-f]{64}/g, '<asset-hash>')
    .replace(/"S3Key":"[^"]+"/g, '"S3Key":"<asset>"');
  return JSON.parse(text);
}

describe('synthesized templates', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  });

  it.each([
    'TunnelOps-Images',
    'TunnelOps-Shared',
    'TunnelOps-dc1',
    'TunnelOps-dc1-primary',
    'TunnelOps-dc1-secondary',
    'TunnelOps-dc1-control',
  ])('%s matches the snapshot', (name) => {
    const template = blankAssets(synth.templates[name]);
    expect(JSON.stringify(template)).not.toMatch(/[0-9a-f]{64}/);
    expect(template).toMatchSnapshot();
  });
});
