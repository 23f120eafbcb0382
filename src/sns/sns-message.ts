import { z } from 'zod';
import { parseBoundedJson } from '../domain/bounded-json.js';

/**
 * The JSON body SNS POSTs to an HTTP(S) subscription (and puts in SQS bodies without raw delivery).
 * Unknown fields (MessageAttributes ...) are stripped; what is signed is checked in verify-sns-signature.ts.
 */
const common = {
  MessageId: z.string().min(1).max(128),
  TopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/, 'expected an SNS topic ARN'),
  Message: z.string(),
  Timestamp: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO time'),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1).max(4096),
  SigningCertURL: z.string().min(1).max(2048),
};

const snsNotificationSchema = z.object({
  ...common,
  Type: z.literal('Notification'),
  Subject: z.string().optional(),
  UnsubscribeURL: z.string().optional(),
});

const confirmation = {
  ...common,
  SubscribeURL: z.string().min(1).max(4096),
  Token: z.string().min(1).max(4096),
};

const snsSubscriptionConfirmationSchema = z.object({
  ...confirmation,
  Type: z.literal('SubscriptionConfirmation'),
});
const snsUnsubscribeConfirmationSchema = z.object({
  ...confirmation,
  Type: z.literal('UnsubscribeConfirmation'),
});

const snsMessageSchema = z.discriminatedUnion('Type', [
  snsNotificationSchema,
  snsSubscriptionConfirmationSchema,
  snsUnsubscribeConfirmationSchema,
]);

export type SnsNotification = z.infer<typeof snsNotificationSchema>;
export type SnsMessage = z.infer<typeof snsMessageSchema>;

type ParsedSns = { ok: true; message: SnsMessage } | { ok: false; reason: string };

export function parseSnsMessage(body: string): ParsedSns {
  let json: unknown;
  try {
    json = parseBoundedJson(body);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const r = snsMessageSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return {
      ok: false,
      reason: `not an SNS message: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}`,
    };
  }
  return { ok: true, message: r.data };
}
