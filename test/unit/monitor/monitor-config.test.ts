import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../src/domain/errors.js';
import { loadMonitorConfig } from '../../../src/monitor/monitor-config.js';

const base = { MONITOR_SITE: 'dc1', MONITOR_TUNNEL: 'primary' };

describe('monitor settings for peer detection and the fast path', () => {
  it('takes the peer host and the lab route adapter; the fast path is on unless turned off', () => {
    const routes = {
      namespace: 'vpc',
      tables: { 'rtb-1': 101 },
      nextHops: { dc1: { primary: '10.99.2.10' } },
    };
    const c = loadMonitorConfig(['--peer-host', '10.99.3.10'], {
      ...base,
      MONITOR_NETNS_ROUTES: JSON.stringify(routes),
    });
    expect(c).toMatchObject({
      peerHost: '10.99.3.10',
      fastPath: true,
      netnsRoutes: { ...routes, delayMs: 0 },
    });
    expect(loadMonitorConfig([], { ...base, MONITOR_FAST_PATH: '0' }).fastPath).toBe(false);
  });

  it.each([
    [{ MONITOR_PEER_HOST: 'peer.internal' }, /expected an IPv4 address/],
    [{ MONITOR_NETNS_ROUTES: '{not json' }, /MONITOR_NETNS_ROUTES must be JSON/],
    [
      { MONITOR_NETNS_ROUTES: JSON.stringify({ namespace: 'vpc', tables: {}, nextHops: {}, extra: 1 }) },
      /extra/,
    ],
  ])('refuses bad input with a reason: %j', (env, why) => {
    expect(() => loadMonitorConfig([], { ...base, ...env })).toThrow(ConfigError);
    expect(() => loadMonitorConfig([], { ...base, ...env })).toThrow(why);
  });
});
