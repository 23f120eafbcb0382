/**
 * The reply when a Slack request fails inside the bot: no detail of the failure, only where operators look.
 * `what` names the request when the bot knows which one it was (a `/vpn` command); it must be bot-written text.
 */
export const failedOnOurSideText = (errorId: string, what = 'that'): string =>
  `:x: Sorry, ${what} failed on our side. Operators can look up error ${errorId} in the bot's log.`;
