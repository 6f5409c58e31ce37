import { useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router";

import { PageHeader, Tabs } from "../../ui/common";
import { LiveTail } from "./LiveTail";
import { LogFilters } from "./LogFilters";
import { LogSearch } from "./LogSearch";
import { type LogParams, type LogsMode, readLogParams, writeLogParams } from "./params";
import "./logs.css";

// Every process's log lines: followed live, or searched in the archive. The URL holds the
// mode and filters, so the job page can link to a job's lines.
export default function LogsPage() {
  const [url, setUrl] = useSearchParams();
  const params = readLogParams(url);
  const key = writeLogParams(params).toString();
  const client = useQueryClient();
  // Submitting the same search again asks again: lines keep arriving in the archive.
  const apply = (next: LogParams) => {
    const nextUrl = writeLogParams(next);
    if (nextUrl.toString() === key) void client.invalidateQueries({ queryKey: ["logs", "search"] });
    else setUrl(nextUrl);
  };
  return (
    <>
      <PageHeader title="Logs" />
      <Tabs<LogsMode>
        tabs={[
          { id: "tail", label: "Live tail" },
          { id: "search", label: "Search" },
        ]}
        active={params.mode}
        onChange={(mode) => apply({ ...params, mode })}
      />
      <LogFilters key={`filters:${key}`} params={params} onChange={apply} />
      {params.mode === "tail" ? <LiveTail key={key} params={params} /> : <LogSearch params={params} />}
    </>
  );
}
