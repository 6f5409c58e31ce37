import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { useInfiniteQuery } from "@tanstack/react-query";

import { logs } from "../../api/clients";
import { Empty, ErrorBox } from "../../ui/common";
import { formatCount } from "../../ui/format";
import { LogLine } from "./LogLine";
import { type LogParams, localMillis, toLogFilter } from "./params";

const PAGE_SIZE = 200;

// Archived lines matching words and filters in a time range, newest first.
export function LogSearch({ params }: { params: LogParams }) {
  const since = localMillis(params.from);
  const until = localMillis(params.to);
  const badRange = since !== undefined && until !== undefined && since >= until;
  const results = useInfiniteQuery({
    queryKey: ["logs", "search", params],
    queryFn: ({ pageParam }) =>
      logs.searchLogs({
        query: params.text.trim(),
        filter: toLogFilter(params),
        since: since === undefined ? undefined : timestampFromMs(since),
        until: until === undefined ? undefined : timestampFromMs(until),
        pageSize: PAGE_SIZE,
        pageToken: pageParam,
      }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    enabled: !badRange,
    retry: false,
  });

  if (badRange) return <p className="field-error">“From” must be earlier than “To”.</p>;
  if (results.error) return <ErrorBox error={results.error} />;
  if (!results.data) return <Empty>Searching…</Empty>;
  const records = results.data.pages.flatMap((page) => page.records);
  return (
    <>
      <div className="logs-status">
        {formatCount(records.length)} lines, newest first{results.hasNextPage ? "; older lines match too" : ""}
      </div>
      <div className="log-lines logs-search-results" aria-label="Found log lines">
        {records.length === 0 ? (
          <Empty>No lines match.</Empty>
        ) : (
          records.map((record, index) => <LogLine key={record.id || `line-${index}`} record={record} />)
        )}
      </div>
      {results.hasNextPage && (
        <button type="button" onClick={() => void results.fetchNextPage()} disabled={results.isFetchingNextPage}>
          Load older lines
        </button>
      )}
    </>
  );
}
