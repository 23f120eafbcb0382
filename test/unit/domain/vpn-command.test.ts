import { describe, expect, it } from '@jest/globals';
import { parseVpnCommand, tokenize } from '../../../src/domain/vpn-command.js';

describe('/vpn command parser', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['--help', { kind: 'help' }],
    ['status', { kind: 'status' }],
    ['STATUS dc1', { kind: 'status', site: 'dc1' }],
    ['failover dc1', { kind: 'failover', site: 'dc1' }],
    ['failover dc1 "primary flapping"', { kind: 'failover', site: 'dc1', reason: 'primary flapping' }],
    [
      'failover dc1 --to secondary primary is flapping',
      { kind: 'failover', site: 'dc1', to: 'secondary', reason: 'primary is flapping' },
    ],
    ['redeploy dc1 secondary', { kind: 'redeploy', site: 'dc1', tunnel: 'secondary', force: false }],
    [
      'redeploy dc1 primary --force “cert rotation”',
      { kind: 'redeploy', site: 'dc1', tunnel: 'primary', force: true, reason: 'cert rotation' },
    ],
    ['rotate dc1', { kind: 'rotate', site: 'dc1' }],
    ['rotate dc1 "yearly renewal"', { kind: 'rotate', site: 'dc1', reason: 'yearly renewal' }],
    ['history', { kind: 'history' }],
    ['history dc1', { kind: 'history', site: 'dc1' }],
    ['cancel fo-7k2m9q', { kind: 'cancel', requestId: 'fo-7k2m9q' }],
    ['pending', { kind: 'pending' }],
    ['pending dc1', { kind: 'pending', site: 'dc1' }],
  ])('parses %j', (text, command) => {
    expect(parseVpnCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['reboot', 'unknown command "reboot"'],
    ['failover', 'missing site'],
    ['failover DC1!', 'not a valid site name'],
    ['status DC1', '"DC1" is not a valid site name; did you mean "dc1"?'],
    ['pending dc1 dc2', 'usage: /vpn pending [site]'],
    ['failover dc1 --to', 'missing tunnel after --to'],
    ['redeploy dc1', 'missing tunnel'],
    ['status dc1 dc2', 'usage: /vpn status'],
    ['cancel', 'usage: /vpn cancel'],
    ['rotate', 'missing site. usage: /vpn rotate <site> [reason]'],
    ['rotate DC1', 'did you mean "dc1"?'],
  ])('rejects %j with a clear error', (text, error) => {
    const result = parseVpnCommand(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toContain(error);
  });

  it('refuses overly long input', () => {
    const result = parseVpnCommand(`status ${'x'.repeat(5000)}`);
    expect(result).toEqual({ ok: false, error: expect.stringContaining('too long') });
  });

  it('keeps quoted phrases together', () => {
    expect(tokenize(`failover dc1 "a b" 'c d' e`)).toEqual(['failover', 'dc1', 'a b', 'c d', 'e']);
  });
});
