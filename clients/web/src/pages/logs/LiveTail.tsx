import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { useLayoutEffect, useRef, useState } from "react";

import { logs } from "../../api/clients";
import { useStream } from "../../api/stream";
import type { LogRecord, TailLogsResponse } from "../../gen/zenith/v1/logs_pb";
import { Empty } from "../../ui/common";
import { formatCount } from "../../ui/format";
import { appendLines, TAIL_LIMIT } from "./buffer";
import { LogLine } from "./LogLine";
import { type LogParams, toLogFilter } from "./params";

// On open the tail first replays this much of what Redis still holds; after a broken
// connection, the stretch since the last line (the buffer drops what it already has).
const INITIAL_REPLAY_MS = 5 * 60_000;
const MAX_REPLAY_MS = 60 * 60_000;
// How close to the bottom counts as "at the bottom" for auto-scroll.
const BOTTOM_SLACK_PX = 24;

// Follows new lines. Mounted once per filter (the parent keys it), so a new filter starts a
// new stream with an empty buffer.
export function LiveTail({ params }: { params: LogParams }) {
  const [lines, setLines] = useState<LogRecord[]>([]);
  const [held, setHeld] = useState<LogRecord[]>([]);
  const [paused, setPaused] = useState(false);
  const [follow, setFollow] = useState(true);
  const [skipped, setSkipped] = useState(0n);
  const pausedNow = useRef(paused);
  pausedNow.current = paused;
  const lastLineAt = useRef<number | undefined>(undefined);
  const box = useRef<HTMLDivElement>(null);

  const onMessage = (message: TailLogsResponse) => {
    if (message.records.length > 0) lastLineAt.current = Date.now();
    if (pausedNow.current) setHeld((current) => appendLines(current, message.records));
    else setLines((current) => appendLines(current, message.records));
    if (message.skipped > 0n) setSkipped((count) => count + message.skipped);
  };
  const stream = useStream(
    (signal) => {
      const since = lastLineAt.current;
      const replay = since === undefined ? INITIAL_REPLAY_MS : Math.min(Date.now() - since + 1000, MAX_REPLAY_MS);
      return logs.tailLogs(
        { filter: toLogFilter(params), text: params.text.trim(), replay: durationFromMs(replay) },
        { signal },
      );
    },
    [],
    onMessage,
  );

  useLayoutEffect(() => {
    const element = box.current;
    if (follow && element) element.scrollTop = element.scrollHeight;
  }, [lines, follow]);

  const onScroll = () => {
    const element = box.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < BOTTOM_SLACK_PX;
    if (atBottom !== follow) setFollow(atBottom);
  };
  const resume = () => {
    setLines((current) => appendLines(current, held));
    setHeld([]);
    setPaused(false);
    setFollow(true);
  };

  return (
    <>
      <div className="logs-status" aria-live="polite">
        {paused ? (
          <button type="button" className="primary" onClick={resume}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => setPaused(true)}>
            Pause
          </button>
        )}
        <button type="button" onClick={() => setLines([])}>
          Clear
        </button>
        <span data-testid="tail-status">
          {paused
            ? `Paused: ${formatCount(held.length)} new lines held`
            : follow
              ? "Following live"
              : "Scrolled up: auto-scroll stopped"}
        </span>
        {!follow && !paused && (
          <button type="button" className="ghost" onClick={() => setFollow(true)}>
            Jump to latest
          </button>
        )}
        <span>
          {formatCount(lines.length)} lines (the last {formatCount(TAIL_LIMIT)} are kept)
        </span>
        {skipped > 0n && <span className="log-level warn">{formatCount(skipped)} lines skipped: the tail fell behind</span>}
        {stream.error && <span className="log-level bad">Disconnected, reconnecting: {stream.error}</span>}
      </div>
      <div className="log-lines logs-tail" ref={box} onScroll={onScroll} aria-label="Live log lines">
        {lines.length === 0 ? (
          <Empty>Waiting for log lines…</Empty>
        ) : (
          lines.map((record, index) => <LogLine key={record.id || `line-${index}`} record={record} />)
        )}
      </div>
    </>
  );
}
