import type { HealthGraph } from '../../domain/health-graph.js';
import type { Chat } from '../../ports/chat.js';
import { healthGraphScene } from '../../render/graph-scene.js';
import { scenePng } from '../../render/scene-png.js';

/** The health graph as a PNG file in a channel or thread (files upload; the Slack stand-in accepts it too). */
export async function uploadHealthGraph(
  chat: Chat,
  channel: string,
  graph: HealthGraph,
  threadTs?: string,
): Promise<void> {
  const minutes = Math.round((graph.endMs - graph.startMs) / 60_000);
  await chat.uploadFile(channel, {
    data: scenePng(healthGraphScene(graph)),
    filename: `${graph.site}-health.png`,
    title: `${graph.site} tunnel health (last ${minutes} min)`,
    ...(threadTs ? { threadTs } : {}),
  });
}
