import { describe, expect, it } from '@jest/globals';
import { planRotation, type TunnelCerts, whatIsLeft } from '../../../src/domain/rotation-plan.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const c = (serial: string, notAfter = '2027-12-07T00:00:00.000Z') => ({ serial, notAfter });
const certs = (over: Partial<Record<'primary' | 'secondary', Partial<TunnelCerts>>> = {}): TunnelCerts[] => [
  { tunnel: 'primary', published: c('B1'), running: c('A1'), ...over.primary },
  { tunnel: 'secondary', published: c('B2'), running: c('A2'), ...over.secondary },
];

describe('planRotation', () => {
  it('standby first, then a planned failover, then the formerly active', () => {
    const plan = planRotation('dc1', 'primary', certs(), NOW);
    expect(plan.ok && plan.steps).toEqual([
      { kind: 'redeploy', tunnel: 'secondary', serial: 'B2' },
      { kind: 'failover', to: 'secondary' },
      { kind: 'redeploy', tunnel: 'primary', serial: 'B1' },
    ]);
    const active2 = planRotation('dc1', 'secondary', certs(), NOW);
    expect(active2.ok && active2.steps.map((s) => (s.kind === 'failover' ? `to ${s.to}` : s.tunnel))).toEqual(
      ['primary', 'to primary', 'secondary'],
    );
  });

  it('only the standby left: no failover at all', () => {
    const plan = planRotation('dc1', 'primary', certs({ primary: { running: c('B1') } }), NOW);
    expect(plan.ok && plan.steps).toEqual([{ kind: 'redeploy', tunnel: 'secondary', serial: 'B2' }]);
  });

  it('refuses: nothing staged, nothing published, expired, split routes', () => {
    const same = certs({ primary: { running: c('B1') }, secondary: { running: c('B2') } });
    expect(planRotation('dc1', 'primary', same, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('`npm run pki -- renew dc1 --role server`'),
    });
    expect(planRotation('dc1', 'primary', certs({ secondary: { published: null } }), NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no server certificate is published for dc1/secondary'),
    });
    expect(
      planRotation('dc1', 'primary', certs({ primary: { published: c('B1', '2026-12-01T00:00:00Z') } }), NOW),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('expired') });
    expect(planRotation('dc1', null, certs(), NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('cannot tell which tunnel'),
    });
  });

  it('a server whose monitor never reported its certificate is rotated too', () => {
    const plan = planRotation(
      'dc1',
      'primary',
      certs({ primary: { running: c('B1') }, secondary: { running: null } }),
      NOW,
    );
    expect(plan.ok && plan.steps).toHaveLength(1);
  });

  it('says what is left after a stop', () => {
    const plan = planRotation('dc1', 'primary', certs(), NOW);
    if (!plan.ok) throw new Error(plan.reason);
    expect(whatIsLeft('dc1', plan.steps, 1)).toBe(
      'planned failover of dc1 to secondary; then redeploy dc1/primary onto certificate B1 and wait until it is healthy on it. `/vpn rotate dc1` again does what is left',
    );
    expect(whatIsLeft('dc1', plan.steps, 3)).toBe('nothing');
  });
});
