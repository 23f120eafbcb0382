import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type ListTasksCommandInput,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { chunks } from './chunks.js';

/** AWS limits: DescribeServices takes 10 services, DescribeTasks 100 tasks, ListTasks pages of 100. */
export const DESCRIBE_SERVICES_MAX = 10;
const DESCRIBE_TASKS_MAX = 100;

/** The topology may name a service by name or ARN. */
const isService = (s: Service, nameOrArn: string): boolean =>
  s.serviceName === nameOrArn || s.serviceArn === nameOrArn;

/** The service a task belongs to ("service:<name>" group), or null for standalone tasks. */
export const serviceOfTask = (t: Task): string | null =>
  t.group?.startsWith('service:') ? t.group.slice(8) : null;

/** ListTasks (every page) then DescribeTasks in batches of 100, all batches at once. */
export async function listAndDescribeTasks(
  ecs: ECSClient,
  input: Omit<ListTasksCommandInput, 'nextToken' | 'maxResults'> & { cluster: string },
): Promise<Task[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ ...input, maxResults: 100, nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const pages = await Promise.all(
    chunks(arns, DESCRIBE_TASKS_MAX).map((tasks) =>
      ecs.send(new DescribeTasksCommand({ cluster: input.cluster, tasks })),
    ),
  );
  return pages.flatMap((p) => p.tasks ?? []);
}

/** DescribeServices in batches of 10, all at once; each requested service gets its own outcome. */
export async function describeServices(
  ecs: ECSClient,
  cluster: string,
  services: readonly string[],
): Promise<Map<string, Outcome<Service>>> {
  const result = new Map<string, Outcome<Service>>();
  await Promise.all(
    chunks([...new Set(services)], DESCRIBE_SERVICES_MAX).map(async (batch) => {
      try {
        const out = await ecs.send(new DescribeServicesCommand({ cluster, services: batch }));
        for (const name of batch) {
          const found = (out.services ?? []).find((s) => isService(s, name));
          const failure = (out.failures ?? []).find((f) => f.arn?.endsWith(`/${name}`) || f.arn === name);
          if (found) result.set(name, ok(found));
          else
            result.set(
              name,
              unknown(
                `ECS service ${name} not found in cluster ${cluster} (${failure?.reason ?? 'MISSING'})`,
              ),
            );
        }
      } catch (err) {
        for (const name of batch) result.set(name, unknown(reasonOf(err)));
      }
    }),
  );
  return result;
}
