/** Text a person wrote, shown literally in Slack mrkdwn: the three escapes Slack needs. */
export const escapeMrkdwn = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
