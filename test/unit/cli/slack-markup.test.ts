import { describe, expect, it } from '@jest/globals';
import { renderSlackMarkup } from '../../../src/cli/slack-markup.js';
import { SANDBOX_CHANNELS, SANDBOX_USERS } from '../../../src/local/sandbox-directory.js';

const names = (timeZone: string) => ({ users: SANDBOX_USERS, channels: SANDBOX_CHANNELS, timeZone });

describe('Slack markup in the terminal', () => {
  it('shows every <!date^...> in one format, in the local time zone, whatever its tokens', () => {
    const text = 'approve by <!date^1795892642^{date_short} {time}|2026-11-28T19:04:02.000Z>.';
    expect(renderSlackMarkup(text, names('UTC'))).toBe('approve by 2026-11-28 19:04:02 UTC.');
    expect(renderSlackMarkup(text, names('Europe/Berlin'))).toBe('approve by 2026-11-28 20:04:02 GMT+1.');
    expect(renderSlackMarkup('<!date^1795892642^{time_secs}|x>', names('UTC'))).toBe(
      '2026-11-28 19:04:02 UTC',
    );
    expect(renderSlackMarkup('<!date^1795892642^{time}|x>', names('UTC'))).toBe('2026-11-28 19:04:02 UTC');
    expect(renderSlackMarkup('<!date^1795892642^{date_long_pretty}|x>', names('UTC'))).toBe(
      '2026-11-28 19:04:02 UTC',
    );
  });

  it('names known users and channels, keeps unknown ids readable', () => {
    expect(renderSlackMarkup('<@UAPPROVER1> in <#C0SANDBOX1>', names('UTC'))).toBe(
      '@approver1 in #tunnelops',
    );
    expect(renderSlackMarkup('<@U0NOBODY> in <#C0OTHER|ops>', names('UTC'))).toBe('@U0NOBODY in #ops');
    expect(renderSlackMarkup('<!here> <!subteam^S0NOC|@noc>', names('UTC'))).toBe('@here @noc');
  });

  it('decodes the escaped entities once and shows links with their address', () => {
    expect(renderSlackMarkup('a &lt;b&gt; &amp;amp; c', names('UTC'))).toBe('a <b> &amp; c');
    expect(renderSlackMarkup('<https://example.com/x|the log>', names('UTC'))).toBe(
      'the log (https://example.com/x)',
    );
  });
});
