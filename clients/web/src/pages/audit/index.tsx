import { useInfiniteQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useSearchParams } from "react-router";

import { admin } from "../../api/clients";
import { isPermissionDenied } from "../../api/errors";
import { Empty, ErrorBox, PageHeader } from "../../ui/common";
import { type AuditFilters, filtersFromParams, filtersToParams, rpcFilter } from "./audit";
import { AuditTable } from "./AuditTable";
import "./audit.css";

const PAGE_SIZE = 50;

const TEXT_FILTERS: { field: "principal" | "rpc" | "target"; label: string; placeholder: string }[] = [
  { field: "principal", label: "Principal", placeholder: "key:<id>, anonymous@, open@" },
  { field: "rpc", label: "Method or service", placeholder: "QueueService/PurgeQueue, AdminService" },
  { field: "target", label: "Target", placeholder: "a queue, job id, key id…" },
];

// Every control-plane mutation and every refused call, newest first, with who made it.
export default function AuditPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const [draft, setDraft] = useState<AuditFilters>(filters);
  const events = useInfiniteQuery({
    queryKey: ["audit", filters],
    queryFn: ({ pageParam }) =>
      admin.listAuditEvents({
        pageSize: PAGE_SIZE,
        pageToken: pageParam,
        principal: filters.principal,
        rpc: rpcFilter(filters.rpc),
        target: filters.target,
        failuresOnly: filters.failuresOnly,
      }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    retry: (count, error) => !isPermissionDenied(error) && count < 1,
  });
  const apply = (next: AuditFilters) => setParams(filtersToParams(next), { replace: true });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(draft);
  };
  const rows = events.data?.pages.flatMap((page) => page.events) ?? [];

  return (
    <>
      <PageHeader title="Audit">
        <button type="button" onClick={() => void events.refetch()} disabled={events.isFetching}>
          Refresh
        </button>
      </PageHeader>
      <form className="panel audit-filters" onSubmit={submit} aria-label="Audit filters">
        {TEXT_FILTERS.map(({ field, label, placeholder }) => (
          <label key={field}>
            {label}
            <input
              value={draft[field]}
              placeholder={placeholder}
              onChange={(e) => setDraft({ ...draft, [field]: e.target.value })}
            />
          </label>
        ))}
        <label className="inline audit-check">
          <input
            type="checkbox"
            checked={draft.failuresOnly}
            onChange={(e) => {
              const next = { ...draft, failuresOnly: e.target.checked };
              setDraft(next);
              apply(next);
            }}
          />
          Failures only
        </label>
        <div className="audit-filter-actions">
          <button type="submit" className="primary">
            Filter
          </button>
        </div>
      </form>
      {isPermissionDenied(events.error) ? (
        <Empty>
          <span data-testid="audit-admins-only">
            Only admins read the audit log: {events.error instanceof Error ? events.error.message : ""}
          </span>
        </Empty>
      ) : (
        <section className="panel audit-panel" aria-label="Audit events">
          <ErrorBox error={events.error} />
          {events.isPending ? (
            <Empty>Loading…</Empty>
          ) : rows.length === 0 && !events.error ? (
            <Empty>No audit events match.</Empty>
          ) : (
            <AuditTable events={rows} />
          )}
          <div className="audit-more">
            <span className="muted">
              {rows.length} event{rows.length === 1 ? "" : "s"}
              {events.hasNextPage ? ", more on the server" : ""}
            </span>
            {events.hasNextPage && (
              <button type="button" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
                {events.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            )}
          </div>
        </section>
      )}
    </>
  );
}
