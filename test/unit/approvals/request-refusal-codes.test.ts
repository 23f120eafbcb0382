import { describe, expect, it } from '@jest/globals';
import type { Topology } from '../../../src/config/topology-schema.js';
import { planRotation, type TunnelCerts } from '../../../src/domain/rotation-plan.js';
import { createSandboxAccount } from '../../../src/local/sandbox-account.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { RouteTables } from '../../../src/ports/route-tables.js';
import { ApprovalService, type RequestInput } from '../../../src/services/approvals/approval-service.js';
import { FailoverExecutor } from '../../../src/services/failover/failover-executor.js';
import { RedeployExecutor } from '../../../src/services/redeploy/redeploy-executor.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { demoTopology } from '../../helpers/test-app.js';
import { silentChat } from '../../security/support.js';

// Issue 19: callers decide on a refusal's code, never on its text. Each refusal a request can meet before
// anyone is asked carries its code; the reason stays the text people read.

function service(opts: { routesUnreadable?: boolean } = {}): ApprovalService {
  const clock = new ManualClock(Date.parse('2026-12-07T12:00:00Z'));
  const topology: Topology = demoTopology();
  const store = new SqliteStore({ path: ':memory:', clock });
  const account = createSandboxAccount({ topology, clock });
  const routeTables: RouteTables = opts.routesUnreadable
    ? {
        ...account.routeTables,
        observe: async () => {
          throw new Error('AWS throttled the call');
        },
      }
    : account.routeTables;
  const common = { store, routeTables, clock, log: silentLogger() };
  return new ApprovalService({
    ...common,
    topology,
    chat: silentChat,
    failover: new FailoverExecutor({ ...common, checkTarget: async () => ({ healthy: true, reason: 'up' }) }),
    redeploy: new RedeployExecutor({ ...common, tasks: account.tasks }),
  });
}

const ask = (s: ApprovalService, input: Omit<RequestInput, 'requester'>) =>
  s.request({ ...input, requester: 'UREQUESTER' });

describe('refused requests carry a typed code beside their reason', () => {
  it('unknown site, unknown tunnel, already active, carrying traffic, not enabled', async () => {
    const s = service();
    expect(await ask(s, { action: 'failover', site: 'nowhere' })).toEqual({
      ok: false,
      code: 'unknown-site',
      reason: expect.stringContaining('Unknown site "nowhere"'),
    });
    expect(await ask(s, { action: 'failover', site: 'dc1', to: 'tertiary' })).toMatchObject({
      ok: false,
      code: 'unknown-tunnel',
    });
    expect(await ask(s, { action: 'redeploy', site: 'dc1', tunnel: 'tertiary' })).toMatchObject({
      ok: false,
      code: 'unknown-tunnel',
    });
    expect(await ask(s, { action: 'failover', site: 'dc1', to: 'primary' })).toMatchObject({
      ok: false,
      code: 'already-active',
      reason: expect.stringContaining('primary is already active'),
    });
    expect(await ask(s, { action: 'redeploy', site: 'dc1', tunnel: 'primary' })).toMatchObject({
      ok: false,
      code: 'carrying-traffic',
    });
    expect(await ask(s, { action: 'rotate', site: 'dc1' })).toMatchObject({ ok: false, code: 'not-enabled' });
    // Not refused: the codes above are not a blanket answer.
    expect(await ask(s, { action: 'failover', site: 'dc1', to: 'secondary' })).toMatchObject({ ok: true });
  });

  it('routes unreadable: no active tunnel to fail over from, and a redeploy may hit traffic', async () => {
    const s = service({ routesUnreadable: true });
    expect(await ask(s, { action: 'failover', site: 'dc1' })).toMatchObject({
      ok: false,
      code: 'active-unknown',
    });
    expect(await ask(s, { action: 'redeploy', site: 'dc1', tunnel: 'secondary' })).toMatchObject({
      ok: false,
      code: 'carrying-traffic',
      reason: expect.stringContaining('cannot tell whether secondary carries traffic'),
    });
  });

  it('a rotation plan refuses with a code for each cause', () => {
    const NOW = Date.parse('2026-12-07T12:00:00Z');
    const c = (serial: string, notAfter = '2027-12-07T00:00:00.000Z') => ({ serial, notAfter });
    const certs = (
      over: Partial<Record<'primary' | 'secondary', Partial<TunnelCerts>>> = {},
    ): TunnelCerts[] => [
      { tunnel: 'primary', published: c('B1'), running: c('A1'), ...over.primary },
      { tunnel: 'secondary', published: c('B2'), running: c('A2'), ...over.secondary },
    ];
    const code = (p: ReturnType<typeof planRotation>) => (p.ok ? 'planned' : p.code);
    expect(code(planRotation('dc1', null, certs(), NOW))).toBe('active-unknown');
    expect(code(planRotation('dc1', 'primary', certs({ secondary: { published: null } }), NOW))).toBe(
      'cert-not-staged',
    );
    const expired = certs({ primary: { published: c('B1', '2026-01-01T00:00:00.000Z') } });
    expect(code(planRotation('dc1', 'primary', expired, NOW))).toBe('cert-not-staged');
    const done = certs({ primary: { running: c('B1') }, secondary: { running: c('B2') } });
    expect(code(planRotation('dc1', 'primary', done, NOW))).toBe('nothing-to-rotate');
    expect(code(planRotation('dc1', 'primary', certs().slice(0, 1), NOW))).toBe('no-standby');
    expect(code(planRotation('dc1', 'primary', certs(), NOW))).toBe('planned');
  });
});
