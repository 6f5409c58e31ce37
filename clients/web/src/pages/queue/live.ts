// Live numbers for the queue pages.
import { queues } from "../../api/clients";
import { type StreamState, useStream } from "../../api/stream";
import type { WatchQueuesResponse } from "../../gen/zenith/v1/queue_pb";

// Counts and rates pushed once a second: of every queue, or of the queues named.
export function useQueueWatch(names: string[] = []): StreamState<WatchQueuesResponse> {
  const key = names.join("\n");
  return useStream((signal) => queues.watchQueues({ queues: names }, { signal }), [key]);
}
