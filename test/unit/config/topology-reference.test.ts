import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { referenceMarkdown, referenceRows } from '../../../src/config/topology-reference.js';

describe('the tunnels.yml reference (docs/tunnels-yml.md)', () => {
  it('documents every field of the schema: a description each', () => {
    const rows = referenceRows();
    expect(rows.length).toBeGreaterThan(30);
    const undocumented = rows.filter((r) => r.description.trim().length < 10).map((r) => r.path);
    expect(undocumented).toEqual([]);
  });

  it('is the committed file, generated from the schema (run `npm run docs` after changing the schema)', () => {
    expect(readFileSync('docs/tunnels-yml.md', 'utf8')).toBe(referenceMarkdown());
  });

  it('names every field a real file uses, with its default', () => {
    const paths = new Set(referenceRows().map((r) => r.path));
    for (const p of [
      'sites[].tunnels[].onPremPublicIp',
      'sites[].server.instanceType',
      'sites[].failover.mode',
      'sites[].probeTargets[].port',
      'sites[].tunnels[].instance.tag.key',
    ])
      expect(paths).toContain(p);
    const type = referenceRows().find((r) => r.path === 'sites[].server.instanceType');
    expect(type?.required).toBe('default `t3.small`');
  });
});
