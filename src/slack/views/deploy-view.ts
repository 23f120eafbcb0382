import { escapeMrkdwn } from '../../domain/mrkdwn.js';
import type { ChatMessage } from '../../ports/chat.js';

/** A GitHub deployment's state as an emoji code (GitHub's comments and Slack read the same codes). */
export const DEPLOY_STATE_ICON: Readonly<Record<string, string>> = {
  success: ':white_check_mark:',
  failure: ':x:',
  error: ':x:',
  in_progress: ':hourglass_flowing_sand:',
  queued: ':hourglass:',
};

/** What a deployment_status event says, as GitHub sent it. */
export interface DeployStatus {
  /** owner/repo */
  repo: string;
  state: string;
  /** `#<pr>`, or the short SHA when the deployment names no PR. */
  what: string;
  environment: string;
  link: string | null;
}

/** The deployment's progress in a site's channel; GitHub's text escaped (an environment or URL is outside input). */
export function deployStatusMessage(d: DeployStatus): ChatMessage {
  const link = d.link ? ` (${escapeMrkdwn(d.link)})` : '';
  return {
    text: `GitHub ${escapeMrkdwn(d.repo)}: ${DEPLOY_STATE_ICON[d.state] ?? ''} ${escapeMrkdwn(d.state)} — deploy of ${escapeMrkdwn(d.what)} to \`${escapeMrkdwn(d.environment)}\`${link}`,
  };
}
