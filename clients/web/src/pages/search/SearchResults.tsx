import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import { archive } from "../../api/clients";
import { JobSource, type SearchHit } from "../../gen/zenith/v1/archive_pb";
import { Empty, ErrorBox } from "../../ui/common";
import { formatCount, formatRelative, formatTime, tsMillis } from "../../ui/format";
import { StateBadge } from "../job/JobSummary";
import { decodePayload } from "../job/payload";
import { jobPath } from "../logs/LogLine";
import { type SearchParams, toRequest } from "./query";

const PREVIEW_CHARS = 120;

function payloadPreview(bytes: Uint8Array, redacted: boolean): string {
  if (redacted) return "(payload hidden for this API key)";
  const decoded = decodePayload(bytes);
  if (decoded.kind === "empty") return "";
  if (decoded.kind === "binary") return `(${decoded.size} bytes binary)`;
  return decoded.text.length > PREVIEW_CHARS ? `${decoded.text.slice(0, PREVIEW_CHARS)}…` : decoded.text;
}

// One page of hits at a time; page tokens are kept so Previous goes back without asking twice.
export function SearchResults({ search }: { search: SearchParams }) {
  const [tokens, setTokens] = useState<string[]>([""]);
  const [startedAt] = useState(() => Date.now());
  const page = tokens.length - 1;
  const results = useQuery({
    queryKey: ["search", search, tokens[page], startedAt],
    queryFn: () => archive.searchJobs(toRequest(search, tokens[page], startedAt)),
    placeholderData: keepPreviousData,
    retry: false,
  });

  if (results.error) return <ErrorBox error={results.error} />;
  if (!results.data) return <Empty>Searching…</Empty>;
  const { hits, nextPageToken, examined } = results.data;
  return (
    <section className="panel search-results" aria-label="Results" aria-busy={results.isFetching}>
      <div className="search-pager">
        <span className="muted">
          Page {page + 1}: {hits.length} {hits.length === 1 ? "job" : "jobs"}, {formatCount(examined)} examined
          {nextPageToken && hits.length < 50 ? " (the scan budget ran out; more may match on the next page)" : ""}
        </span>
        <span className="page-actions">
          <button type="button" disabled={page === 0} onClick={() => setTokens(tokens.slice(0, -1))}>
            Previous
          </button>
          <button type="button" disabled={!nextPageToken} onClick={() => setTokens([...tokens, nextPageToken])}>
            Next
          </button>
        </span>
      </div>
      {hits.length === 0 ? (
        <Empty>No jobs match.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Job</th>
              <th>Queue</th>
              <th>Type</th>
              <th>State</th>
              <th>Source</th>
              <th>Created</th>
              <th>Payload</th>
            </tr>
          </thead>
          <tbody>
            {hits.map((hit) => (
              <HitRow key={hit.job?.id} hit={hit} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function HitRow({ hit }: { hit: SearchHit }) {
  const job = hit.job;
  if (!job) return null;
  return (
    <tr>
      <td className="mono search-id">
        <Link to={jobPath(job.id, job.queue)} title={job.id}>
          {job.id}
        </Link>
      </td>
      <td>{job.queue}</td>
      <td className="mono">{job.type}</td>
      <td>
        <StateBadge state={job.state} />
      </td>
      <td className="muted">{hit.source === JobSource.ARCHIVE ? "archive" : "live"}</td>
      <td title={formatTime(tsMillis(job.createdAt))}>{formatRelative(tsMillis(job.createdAt))}</td>
      <td className="mono search-payload" data-testid="payload-preview">
        {payloadPreview(job.payload, job.payloadRedacted)}
      </td>
    </tr>
  );
}
