import { describe, expect, it } from '@jest/globals';
import { deployStatusMessage } from '../../../src/slack/views/deploy-view.js';

describe('deployment status in Slack', () => {
  it('says the state, what and where, with the state icon', () => {
    const m = deployStatusMessage({
      repo: 'octo/infra',
      state: 'success',
      what: '#2',
      environment: 'production',
      link: 'https://github.com/octo/infra/actions/runs/1',
    });
    expect(m.text).toBe(
      'GitHub octo/infra: :white_check_mark: success — deploy of #2 to `production` (https://github.com/octo/infra/actions/runs/1)',
    );
  });

  it("escapes GitHub's text, so an environment or link cannot ping a channel or disguise a link", () => {
    const m = deployStatusMessage({
      repo: 'octo/infra',
      state: 'failure',
      what: 'abc1234',
      environment: 'prod<!channel>',
      link: 'https://x.invalid/?a=1&b=<https://evil|click>',
    });
    expect(m.text).not.toContain('<!channel>');
    expect(m.text).not.toContain('<https://evil|click>');
    expect(m.text).toContain('`prod&lt;!channel&gt;`');
    expect(m.text).toContain('a=1&amp;b=&lt;https://evil|click&gt;');
    expect(m.text).toContain(':x: failure');
  });
});
