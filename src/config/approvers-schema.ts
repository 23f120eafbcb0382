import { z } from 'zod';

/** Who may approve a site's requests: Slack users and user groups, at least one. */
export const approversSchema = z
  .object({
    users: z
      .array(z.string().regex(/^[UW][A-Z0-9]+$/, 'expected a Slack user id such as U012AB3CD'))
      .default([])
      .meta({
        description: 'Slack user ids (not names: in Slack, a profile\'s "⋮" menu -> "Copy member ID").',
        examples: [['U012AB3CD']],
      }),
    userGroups: z
      .array(z.string().regex(/^S[A-Z0-9]+$/, 'expected a Slack user group id such as S0614TZR7'))
      .default([])
      .meta({
        description:
          'Slack user group ids (S…); every member may approve (read with usergroups.users.list, cached 5 s).',
        examples: [['S0614TZR7']],
      }),
  })
  .strict()
  .refine((a) => a.users.length + a.userGroups.length > 0, 'name at least one approver (user or user group)')
  .meta({
    description:
      'Who may approve a failover or redeploy of this site (never the person who asked). At least one user or group.',
  });
