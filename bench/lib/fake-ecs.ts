import type { FakeAwsState, FakeTunnel } from './fake-aws-state.js';
import type { WireReply } from './fake-ec2.js';

/** ECS JSON 1.1 API for the actions status uses, with AWS's batch limits enforced. */
type Body = Record<string, unknown>;
const json = (body: unknown, status = 200): WireReply => ({
  status,
  contentType: 'application/x-amz-json-1.1',
  body: JSON.stringify(body),
});
const invalid = (message: string) => json({ __type: 'InvalidParameterException', message }, 400);
const T0 = 1795590000;

const taskArn = (t: FakeTunnel, suffix: string) =>
  `arn:aws:ecs:${t.region}:123456789012:task/${t.cluster}/${t.service}-${suffix}`;

function tasksOf(
  state: FakeAwsState,
  region: string,
  cluster: string,
): Map<string, Body & { desiredStatus: string }> {
  const tasks = new Map<string, Body & { desiredStatus: string }>();
  for (const t of state.inRegion(region)) {
    if (t.cluster !== cluster) continue;
    const base = {
      clusterArn: `arn:aws:ecs:${region}:123456789012:cluster/${cluster}`,
      group: `service:${t.service}`,
      launchType: 'EC2',
    };
    for (let k = 0; k < t.runningTasks; k++) {
      const arn = taskArn(t, `r${k}`);
      tasks.set(arn, {
        ...base,
        taskArn: arn,
        desiredStatus: 'RUNNING',
        lastStatus: 'RUNNING',
        startedBy: 'ecs-svc/1',
        createdAt: T0,
      });
    }
    if (t.runningTasks === 0) {
      const arn = taskArn(t, 'stopped');
      tasks.set(arn, {
        ...base,
        taskArn: arn,
        desiredStatus: 'STOPPED',
        lastStatus: 'STOPPED',
        startedBy: 'ecs-svc/1',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        stoppedAt: T0 + 600,
      });
    }
  }
  return tasks;
}

export function handleEcs(state: FakeAwsState, region: string, op: string, body: Body): WireReply {
  const cluster = String(body.cluster ?? 'default');
  if (op === 'ListTasks') {
    const desired = String(body.desiredStatus ?? 'RUNNING');
    const service = body.serviceName as string | undefined;
    const arns = [...tasksOf(state, region, cluster).values()]
      .filter((t) => t.desiredStatus === desired && (!service || t.group === `service:${service}`))
      .map((t) => String(t.taskArn));
    const max = Number(body.maxResults ?? 100);
    const from = Number(body.nextToken ?? 0);
    const next = from + max < arns.length ? String(from + max) : undefined;
    return json({ taskArns: arns.slice(from, from + max), ...(next ? { nextToken: next } : {}) });
  }
  if (op === 'DescribeTasks') {
    const wanted = (body.tasks as string[]) ?? [];
    if (wanted.length > 100) return invalid('Tasks cannot be more than 100.');
    const all = tasksOf(state, region, cluster);
    return json({ tasks: wanted.map((a) => all.get(a)).filter(Boolean), failures: [] });
  }
  if (op === 'DescribeServices') {
    const wanted = (body.services as string[]) ?? [];
    if (wanted.length > 10) return invalid('Services cannot be more than 10.');
    const services = state
      .inRegion(region)
      .filter((t) => t.cluster === cluster && wanted.includes(t.service))
      .map((t) => ({
        serviceName: t.service,
        serviceArn: `arn:aws:ecs:${region}:123456789012:service/${cluster}/${t.service}`,
        status: 'ACTIVE',
        desiredCount: 1,
        runningCount: t.runningTasks,
        pendingCount: 0,
        deployments: [
          {
            id: 'ecs-svc/1',
            status: 'PRIMARY',
            desiredCount: 1,
            runningCount: t.runningTasks,
            pendingCount: 0,
            failedTasks: 0,
            rolloutState: 'COMPLETED',
          },
        ],
      }));
    return json({ services, failures: [] });
  }
  return json({ __type: 'UnknownOperationException', message: `the fake does not implement ${op}` }, 400);
}
