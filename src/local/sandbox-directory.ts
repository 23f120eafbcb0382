/**
 * Who and where the sandbox's Slack stand-in knows: the users the README's walkthrough uses (the demo
 * topology's approvers and the requester) and its one channel. The stand-in answers users.info and
 * conversations.info from this, and the CLI shows these names instead of raw ids.
 */
export const SANDBOX_USERS: Readonly<Record<string, string>> = {
  UREQUESTER: 'requester',
  UAPPROVER1: 'approver1',
  UAPPROVER2: 'approver2',
  UOUTSIDER: 'outsider',
  U0TUNNELOPS: 'tunnelops',
};

export const SANDBOX_CHANNELS: Readonly<Record<string, string>> = {
  C0SANDBOX1: 'tunnelops',
};
