import { inflateSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../../src/domain/audit.js';
import { healthGraphOf } from '../../../src/domain/health-graph.js';
import { ok, unknown } from '../../../src/domain/outcome.js';
import { healthGraphScene } from '../../../src/render/graph-scene.js';
import { encodePng } from '../../../src/render/png-encoder.js';
import { scenePng } from '../../../src/render/scene-png.js';
import { sceneSvg } from '../../../src/render/scene-svg.js';

const END = Date.parse('2026-11-25T12:00:00Z');
const entry = (minutesAgo: number, event: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  at: new Date(END - minutesAgo * 60_000).toISOString(),
  site: 'dc1',
  action: 'failover',
  actor: 'controller',
  event,
  detail: { from: 'primary', to: 'secondary' },
  ...extra,
});
const points = (loss: number) =>
  Array.from({ length: 60 }, (_, i) => ({ at: END - (60 - i) * 60_000, lossPct: loss, latencyMs: 20 }));

function graph(audit: AuditEntry[] = []) {
  return healthGraphOf({
    site: 'dc1',
    activeTunnel: 'secondary',
    tunnels: ['primary', 'secondary'],
    series: new Map([
      ['primary', ok(points(100))],
      ['secondary', unknown('CloudWatch throttled the call')],
    ]),
    audit,
    endMs: END,
  });
}

/** Decodes our own PNGs (RGB, filter 0) back to pixels. */
function decode(png: Buffer): { width: number; height: number; pixel: (x: number, y: number) => string } {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    if (png.toString('ascii', off + 4, off + 8) === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixel = (x: number, y: number) =>
    raw
      .subarray(y * (width * 3 + 1) + 1 + x * 3)
      .subarray(0, 3)
      .toString('hex');
  return { width, height, pixel };
}

describe('health graph model', () => {
  it('marks one failover per run (its routes-changed and succeeded entries), only inside the hour', () => {
    const g = graph([
      entry(90, 'succeeded'),
      entry(20, 'started'),
      entry(20, 'routes-changed', { requestId: 'fo-1' }),
      entry(20, 'succeeded', { requestId: 'fo-1' }),
      entry(5, 'succeeded', { detail: { from: 'secondary', to: 'primary' } }),
      entry(4, 'succeeded', { site: 'dc2' }),
    ]);
    expect(g.failovers.map((f) => [Math.round((END - f.at) / 60_000), f.to])).toEqual([
      [20, 'secondary'],
      [5, 'primary'],
    ]);
    expect(g.tunnels[1]).toEqual({ name: 'secondary', points: [], unknown: 'CloudWatch throttled the call' });
  });
});

describe('health graph renderings', () => {
  it('SVG: escaped text, a description, the legend with every colour named, no style attributes', () => {
    const svg = sceneSvg(healthGraphScene(graph([entry(10, 'succeeded')])), 'dc1 <health>');
    expect(svg).toContain('<title id="g-title-dc1__health_">dc1 &lt;health&gt;</title>');
    expect(svg).toContain('primary now 100% loss, 20 ms');
    expect(svg).toContain('secondary (active): no data');
    expect(svg).toContain('-&gt; secondary');
    expect(svg).not.toMatch(/style=|<script/);
  });

  it('PNG: a valid file whose pixels show the line and the failover mark', () => {
    const png = scenePng(healthGraphScene(graph([entry(30, 'succeeded')])));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const { width, height, pixel } = decode(png);
    expect([width, height]).toEqual([800, 400]);
    expect(pixel(2, 2)).toBe('ffffff');
    // 100% loss: the primary's line runs along the loss panel's top edge (y = 64) in its colour.
    expect(pixel(300, 64)).toBe('0072b2');
    // The failover 30 minutes ago: a dashed red line halfway across the plot, down through the latency panel.
    const x = Math.round(60 + 0.5 * (780 - 60));
    const column = Array.from({ length: 100 }, (_, i) => pixel(x, 240 + i));
    expect(column).toContain('d62728');
  });

  it('the encoder refuses a buffer of the wrong size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(11))).toThrow(/12 bytes/);
  });
});
