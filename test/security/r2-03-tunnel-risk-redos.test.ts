import { describe, expect, it } from '@jest/globals';
import { riskJustification } from '../../src/domain/tunnel-risk.js';

// Review 2, item 3: `/^\s*tunnel-risk:\s*(.{10,})$/im` backtracked quadratically on runs of newlines; 65,536 of
// them blocked the event loop 3.3 s per call, on every `pull_request.edited`. The bound here is 20x looser than
// the 50 ms goal (bench:abuse measures that) so a loaded machine does not break it; quadratic code takes seconds.
const BOUND_MS = 1000;
const N = 65_536;

const timed = (body: string): { ms: number; result: string | null } => {
  const started = performance.now();
  const result = riskJustification(body);
  return { ms: performance.now() - started, result };
};

describe('review 2, item 3: the tunnel-risk line is found in linear time', () => {
  const shapes: Array<[string, string]> = [
    ['64k newlines', '\n'.repeat(N)],
    ['64k CRLFs', '\r\n'.repeat(N)],
    ['64k spaces and newlines', ' \n'.repeat(N)],
    ['the marker, then 64k newlines', `tunnel-risk:${'\n'.repeat(N)}`],
    ['64k markers with short reasons', 'tunnel-risk: short\n'.repeat(N)],
    ['64k markers followed by blank lines', 'tunnel-risk:\n\n'.repeat(N)],
  ];
  it.each(shapes)('%s: answered well inside the bound, with no reason found', (_name, body) => {
    const { ms, result } = timed(body);
    expect(result).toBeNull();
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('still finds a reason after 64k newlines', () => {
    const { ms, result } = timed(`${'\n'.repeat(N)}Tunnel-Risk: DC maintenance window, both links idle\n`);
    expect(result).toBe('DC maintenance window, both links idle');
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('takes the reason from the marker line only, never from the lines after it', () => {
    expect(riskJustification('tunnel-risk:\n\ntunnel-risk:\nDC maintenance window')).toBeNull();
    expect(riskJustification('  tunnel-risk:   DC maintenance window  \r\n')).toBe('DC maintenance window');
    expect(riskJustification('tunnel-risk: 123456789')).toBeNull();
  });
});
