import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app/context.js';
import { regionOfQueueUrl, SqsAlarmConsumer } from '../aws/sqs-alarm-consumer.js';
import { parseAlarmMessage } from '../domain/alarm-parse.js';
import { BadRequestError, ConfigError, TunnelOpsError } from '../domain/errors.js';
import { bearerAuth } from '../http/bearer-auth.js';
import { type RouteHandler, sendJson } from '../http/server.js';
import { startSandboxAlarmFeed } from '../local/sandbox-alarm-feed.js';
import type { Logger } from '../log.js';
import { registerAlarmActions } from '../slack/actions/alarm-actions.js';
import { SigningCertCache } from '../sns/signing-cert-cache.js';
import { createSnsEndpoint } from '../sns/sns-endpoint.js';
import { snsHeaderCheck } from '../sns/sns-headers.js';
import { SnsVerifier } from '../sns/sns-verifier.js';
import { createSqsBodyHandler } from '../sns/sqs-body-handler.js';

/** SQS keeps messages up to 14 days; through SQS an old alarm is late, not a replay. */
const SQS_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * CloudWatch alarms (and ECS task / alarm events) into Slack: POST /sns (verified SNS HTTPS delivery),
 * POST /api/sandbox/alarm (sandbox only), and,
 * when TUNNELOPS_ALARM_QUEUE_URL is set, an SQS long-poll consumer; the alarm buttons.
 */
export async function registerAlarms(ctx: AppContext): Promise<void> {
  const log = ctx.log.child({ feature: 'alarms' });
  const allowedTopics = new Set(
    (ctx.env.TUNNELOPS_SNS_TOPIC_ARNS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const { alarms, approvals } = ctx.services;
  const certs = new SigningCertCache({ clock: ctx.clock });
  const verifier = new SnsVerifier({ allowedTopics, certs, clock: ctx.clock });
  // The sandbox feeds its alarms through /api/sandbox/alarm: an empty allowlist is nothing to act on there.
  if (allowedTopics.size === 0 && !ctx.sandbox)
    log.warn('TUNNELOPS_SNS_TOPIC_ARNS is empty: POST /sns refuses every message');
  ctx.http.route('POST', '/sns', createSnsEndpoint({ verifier, sink: alarms }), {
    auth: snsHeaderCheck(allowedTopics),
  });
  ctx.http.route('POST', '/api/sandbox/alarm', sandboxAlarm(ctx), {
    auth: bearerAuth(ctx.env.TUNNELOPS_API_TOKEN),
  });
  if (ctx.sandbox) {
    const feed = startSandboxAlarmFeed({ topology: ctx.topology, metrics: ctx.sandbox.metrics, alarms, log });
    ctx.onStop(() => feed.stop());
  }
  registerAlarmActions(ctx.bolt, { alarms, chat: ctx.chat, approvals, log });
  const queueUrl = ctx.env.TUNNELOPS_ALARM_QUEUE_URL;
  if (queueUrl) startQueueConsumer(ctx, queueUrl, { allowedTopics, certs }, log);
}

/** Sandbox only: feed an alarm (the CloudWatch notification's Message JSON) as if SNS had delivered it. */
function sandboxAlarm(ctx: AppContext): RouteHandler {
  return async (req, res) => {
    if (!ctx.sandbox)
      throw new TunnelOpsError(
        'not_found',
        'alarms can only be injected in the sandbox (no AWS credentials)',
      );
    const text = req.rawBody.toString('utf8');
    // Refuse what is not an alarm before ingest, which would keep a dedupe key for it.
    const parsed = parseAlarmMessage(text);
    if (parsed.kind === 'ignored') throw new BadRequestError(parsed.reason);
    const result = await ctx.services.alarms.ingestMessage(`sandbox-${randomUUID()}`, text, req.log);
    if (result.status === 'ignored') throw new BadRequestError(result.reason ?? 'not an alarm');
    // 202: a change Slack will show; 200: this state is already shown, nothing new was posted.
    sendJson(res, result.status === 'duplicate' ? 200 : 202, {
      status: result.status,
      alarmId: result.alarmId,
      ...(result.status === 'duplicate' ? { message: 'duplicate: this state is already shown' } : {}),
    });
  };
}

/** The SQS consumer of TUNNELOPS_ALARM_QUEUE_URL: the same verification as POST /sns, with SQS's message age. */
function startQueueConsumer(
  ctx: AppContext,
  queueUrl: string,
  trust: { allowedTopics: Set<string>; certs: SigningCertCache },
  log: Logger,
): void {
  const region = regionOfQueueUrl(queueUrl) ?? ctx.env.AWS_REGION;
  if (!region)
    throw new ConfigError(
      'TUNNELOPS_ALARM_QUEUE_URL: cannot tell the region; use the https://sqs.<region>.amazonaws.com/... form or set AWS_REGION',
    );
  const verifier = new SnsVerifier({ ...trust, clock: ctx.clock, maxAgeMs: SQS_MAX_AGE_MS });
  const consumer = new SqsAlarmConsumer({
    sqs: ctx.aws.sqsLongPoll(region),
    queueUrl,
    handle: createSqsBodyHandler({ verifier, alarms: ctx.services.alarms }),
    log: log.child({ component: 'sqs' }),
  });
  consumer.start();
  ctx.onStop(() => consumer.stop());
  log.info({ queueUrl }, 'consuming alarms from SQS');
}
