/** The reply when a Slack request fails inside the bot: no detail of the failure, only where operators look. */
export const failedOnOurSideText = (errorId: string): string =>
  `Sorry, that failed on our side. Operators can look up error ${errorId} in the bot's log.`;
