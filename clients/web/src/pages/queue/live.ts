// Live numbers for the queue pages, and a clock for relative times.
import { useEffect, useState } from "react";

import { queues } from "../../api/clients";
import { type StreamState, useStream } from "../../api/stream";
import type { WatchQueuesResponse } from "../../gen/zenith/v1/queue_pb";

// Counts and rates pushed once a second: of every queue, or of the queues named.
export function useQueueWatch(names: string[] = []): StreamState<WatchQueuesResponse> {
  const key = names.join("\n");
  return useStream((signal) => queues.watchQueues({ queues: names }, { signal }), [key]);
}

// The current time, refreshed every `intervalMs`, so "12s ago" keeps counting.
export function useNow(intervalMs = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
