import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../src/log.js';
import { ApprovalNotifier } from '../../../src/services/approvals/approval-notifier.js';
import { RecordingChat, testTopology } from '../failover/fakes.js';
import { pendingRequest } from './pending-request.js';

const message = { channel: 'C0SITE', ts: '1700000000.000100' };

function notifier() {
  const chat = new RecordingChat();
  return { chat, notifier: new ApprovalNotifier({ topology: testTopology(), chat, log: silentLogger() }) };
}

describe('progress of an approved run in Slack', () => {
  it("a redeploy's progress line goes to the request's thread, escaped (it can quote an outside system)", async () => {
    const { chat, notifier: n } = notifier();
    const r = pendingRequest({ action: 'redeploy', tunnel: 'primary', state: 'executing', message });
    await n.addProgress(r, 'dc1/primary: ECS says <!channel> & <https://evil|click>');
    expect(chat.posts).toEqual([
      {
        channel: 'C0SITE',
        threadTs: message.ts,
        text: 'dc1/primary: ECS says &lt;!channel&gt; &amp; &lt;https://evil|click&gt;',
      },
    ]);
  });

  it('a failover keeps its progress in the request message only: no thread reply', async () => {
    const { chat, notifier: n } = notifier();
    await n.addProgress(
      pendingRequest({ state: 'executing', message }),
      'Planned failover of dc1 to secondary',
    );
    expect(chat.posts).toEqual([]);
  });
});
