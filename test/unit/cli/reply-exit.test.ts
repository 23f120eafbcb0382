import { describe, expect, it } from '@jest/globals';
import { exitForReply } from '../../../src/cli/reply-exit.js';
import { refusedWith, replyMetadata } from '../../../src/slack/commands/vpn-reply-outcome.js';

describe("the CLI's exit status for a /vpn reply", () => {
  it('follows the metadata, not the text: ok exits 0 and refused or failed exits 1, emoji or not', () => {
    expect(
      exitForReply({ text: ':warning: two tunnels degraded', metadata: replyMetadata({ outcome: 'ok' }) }),
    ).toBe(0);
    expect(
      exitForReply({
        text: '`/vpn rotate` is not enabled',
        metadata: replyMetadata(refusedWith('not-enabled')),
      }),
    ).toBe(1);
    expect(
      exitForReply({ text: 'fine', metadata: replyMetadata({ outcome: 'failed', errorId: 'e1' }) }),
    ).toBe(1);
  });

  it('an outcome of ours it does not know, or a payload without one, exits 1 (never claims success)', () => {
    expect(
      exitForReply({
        text: 'x',
        metadata: { event_type: 'tunnelops_vpn_reply', event_payload: { outcome: 'partial' } },
      }),
    ).toBe(1);
    expect(
      exitForReply({ text: 'x', metadata: { event_type: 'tunnelops_vpn_reply', event_payload: null } }),
    ).toBe(1);
  });

  it("a reply without our metadata (an older server, or another app's) falls back to its leading emoji", () => {
    expect(exitForReply({ text: ':no_entry_sign: You asked for fo-1' })).toBe(1);
    expect(exitForReply({ text: '  :x: Sorry' })).toBe(1);
    expect(exitForReply({ text: ':warning: Unknown site' })).toBe(1);
    expect(
      exitForReply({ text: 'Asked for approval', metadata: { event_type: 'other_app', event_payload: {} } }),
    ).toBe(0);
    expect(exitForReply({ text: '`/vpn certs` is not enabled on this deployment.' })).toBe(0);
    expect(exitForReply(undefined)).toBe(0);
  });
});
