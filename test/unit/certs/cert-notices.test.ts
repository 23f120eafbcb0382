import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CERT_REPORT_NS, type CertEntry, type CertReport } from '../../../src/domain/cert-expiry.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { ChatMessage, ChatMessageRef } from '../../../src/ports/chat.js';
import { CertNotices } from '../../../src/services/certs/cert-notices.js';
import { readSiteCerts } from '../../../src/services/certs/cert-reports.js';
import { certResolvedMessage, certsMessage, certWarningMessage } from '../../../src/slack/views/cert-view.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { RecordingChat, testTopology } from '../failover/fakes.js';

class UpdatingChat extends RecordingChat {
  readonly updates: Array<{ ref: ChatMessageRef } & ChatMessage> = [];
  override async update(ref: ChatMessageRef, message: ChatMessage): Promise<void> {
    this.updates.push({ ref, ...message });
  }
}

const entry = (
  tunnel: string | null,
  role: CertEntry['role'],
  daysLeft: number,
  serial = 'AA01',
): CertEntry => ({
  site: 'dc1',
  tunnel,
  role,
  subject:
    role === 'server'
      ? `CN=dc1-${tunnel}-server`
      : role === 'client'
        ? `CN=dc1-${tunnel}-client`
        : 'CN=tunnelops-dc1-ca',
  serial,
  notAfter: new Date(Date.parse('2026-12-07T12:00:00Z') + daysLeft * 86_400_000).toISOString(),
  daysLeft,
  revoked: false,
});

describe('CertNotices: one Slack message per certificate, updated in place, with the fix', () => {
  const topology = testTopology();
  const site = topology.sites[0]!;
  let clock: ManualClock;
  let store: SqliteStore;
  let chat: UpdatingChat;
  let notices: CertNotices;

  const report = (tunnel: string, entries: CertEntry[], fault: string | null = null) =>
    store.put<CertReport>(CERT_REPORT_NS, `dc1/${tunnel}`, {
      site: 'dc1',
      tunnel,
      at: new Date(clock.now()).toISOString(),
      entries,
      fault,
    });

  beforeEach(() => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
    chat = new UpdatingChat();
    notices = new CertNotices({
      topology,
      store,
      chat,
      clock,
      log: silentLogger(),
      render: { warning: certWarningMessage, resolved: certResolvedMessage },
    });
  });
  afterEach(() => store.close());

  it('posts once per certificate inside 30 days (the CA both servers report counts once), and nothing for the rest', async () => {
    await report('primary', [entry(null, 'ca', 25, 'CA01'), entry('primary', 'server', 300)]);
    await report('secondary', [
      entry(null, 'ca', 25, 'CA01'),
      entry('secondary', 'server', 20),
      entry('secondary', 'client', 6),
    ]);
    await notices.tick();
    expect(chat.posts.map((p) => p.channel)).toEqual([
      site.slackChannel,
      site.slackChannel,
      site.slackChannel,
    ]);
    const texts = chat.posts.map((p) => p.text);
    expect(texts[0]).toMatch(
      /^:rotating_light: \*dc1\/secondary\*: the on-prem client certificate dc1-secondary-client expires .* \(in 6 day\(s\)\)/,
    );
    expect(texts[0]).toContain('Fix: `npm run pki -- renew dc1 --tunnel secondary --role client');
    expect(texts[1]).toMatch(
      /^:warning: \*dc1\/secondary\*: the server certificate dc1-secondary-server expires/,
    );
    expect(texts[2]).toMatch(/^:warning: \*dc1\*: the CA of dc1 expires/);
    await notices.tick();
    expect(chat.posts).toHaveLength(3);
    expect(chat.updates).toHaveLength(0);
  });

  it('updates the same message as the days go and once it expired, and says so when it is renewed', async () => {
    await report('secondary', [entry('secondary', 'server', 8)]);
    await notices.tick();
    await report('secondary', [entry('secondary', 'server', 6)]);
    await notices.tick();
    await report('secondary', [entry('secondary', 'server', -1)]);
    await notices.tick();
    expect(chat.posts).toHaveLength(1);
    expect(chat.updates.map((u) => u.ref.ts)).toEqual(['1', '1']);
    expect(chat.updates[0]?.text).toMatch(/^:rotating_light: .* \(in 6 day\(s\)\)/);
    expect(chat.updates[1]?.text).toMatch(
      /^:x: .*dc1-secondary-server expired .* \(expired 1 day\(s\) ago\)/,
    );
    await report('secondary', [entry('secondary', 'server', 365, 'BB02')]);
    await notices.tick();
    expect(chat.updates[2]?.text).toMatch(
      /^:white_check_mark: .* renewed: now valid until .* \(in 365 day\(s\)\), serial BB02/,
    );
    await notices.tick();
    expect(chat.updates).toHaveLength(3);
    expect(chat.posts).toHaveLength(1);
  });

  it('escapes what a certificate says about itself, and /vpn certs lists every entry and the faults', async () => {
    const odd = { ...entry('secondary', 'client', 3), subject: 'CN=<!channel> & co' };
    await report('secondary', [odd], 'client certificate expired 2026-12-01 10:00 UTC (<!here>)');
    await notices.tick();
    expect(chat.posts[0]?.text).toContain('CN=&lt;!channel&gt; &amp; co');
    const msg = certsMessage(await readSiteCerts(store, topology.sites));
    expect(msg.text).toContain('&lt;!here&gt;');
    expect(msg.text).not.toContain('<!');
    expect(msg.text).toContain('*secondary client*');
  });
});
