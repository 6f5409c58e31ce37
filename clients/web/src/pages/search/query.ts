import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";

import type { SearchJobsRequestSchema } from "../../gen/zenith/v1/archive_pb";
import { JobState } from "../../gen/zenith/v1/job_pb";
import { JOB_STATES, stateName } from "../job/states";

// A search as the URL holds it: ?q=…&queue=…&state=dead&type=…&since=24h (lists repeat).
export interface SearchParams {
  q: string;
  queues: string[];
  states: JobState[];
  types: string[];
  since: string;
}

export const SINCE_CHOICES: { value: string; label: string }[] = [
  { value: "", label: "any time" },
  { value: "15m", label: "last 15 minutes" },
  { value: "1h", label: "last hour" },
  { value: "24h", label: "last 24 hours" },
  { value: "7d", label: "last 7 days" },
  { value: "30d", label: "last 30 days" },
];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

// "15m", "24h", "7d" → milliseconds; anything else → undefined.
export function parseAge(text: string): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]];
}

function parseState(name: string): JobState | undefined {
  return JOB_STATES.find((state) => stateName(state) === name.toLowerCase());
}

export function readSearchParams(url: URLSearchParams): SearchParams {
  return {
    q: url.get("q") ?? "",
    queues: url.getAll("queue").filter(Boolean),
    states: url
      .getAll("state")
      .map(parseState)
      .filter((state): state is JobState => state !== undefined),
    types: url.getAll("type").filter(Boolean),
    since: url.get("since") ?? "",
  };
}

export function writeSearchParams(search: SearchParams): URLSearchParams {
  const url = new URLSearchParams();
  if (search.q) url.set("q", search.q);
  for (const queue of search.queues) url.append("queue", queue);
  for (const state of search.states) url.append("state", stateName(state));
  for (const type of search.types) url.append("type", type);
  if (search.since) url.set("since", search.since);
  return url;
}

export function toRequest(search: SearchParams, pageToken: string, now: number): MessageInitShape<typeof SearchJobsRequestSchema> {
  const age = parseAge(search.since);
  return {
    query: search.q,
    queues: search.queues,
    states: search.states,
    types: search.types,
    createdAfter: age === undefined ? undefined : timestampFromMs(now - age),
    pageSize: 50,
    pageToken,
  };
}

// "a, b ,c" → ["a", "b", "c"]: how the queue and type fields take several names.
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

// A search phrase that matches the text literally (SEARCH.md: quoted phrases).
export function quotePhrase(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
