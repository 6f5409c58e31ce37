import { useEffect, useRef, useState } from "react";

import { errorMessage } from "./errors";

export interface StreamState<T> {
  latest: T | undefined;
  error: string | undefined;
}

// Follows a server-streaming RPC while the component is mounted: each message replaces the
// latest one (and goes to `onMessage`), and a broken stream is opened again after a pause.
export function useStream<T>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  deps: unknown[],
  onMessage?: (message: T) => void,
): StreamState<T> {
  const [state, setState] = useState<StreamState<T>>({ latest: undefined, error: undefined });
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    const controller = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        for await (const message of open(controller.signal)) {
          handler.current?.(message);
          setState({ latest: message, error: undefined });
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((previous) => ({ ...previous, error: errorMessage(error) }));
      }
      if (!controller.signal.aborted) retry = setTimeout(run, 2000);
    };
    void run();
    return () => {
      controller.abort();
      if (retry) clearTimeout(retry);
    };
  }, deps);
  return state;
}
