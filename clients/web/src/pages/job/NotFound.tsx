import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { archive } from "../../api/clients";
import { Empty } from "../../ui/common";
import { jobPath } from "../logs/LogLine";
import { quotePhrase } from "../search/query";

// GetJob already asks the archive; this also searches for the text, in case it is an order id
// or a fragment that lives in some job's payload rather than a job id.
export function NotFound({ id }: { id: string }) {
  const searchable = /[\p{L}\p{N}]/u.test(id);
  const related = useQuery({
    queryKey: ["job", id, "mentions"],
    queryFn: () => archive.searchJobs({ query: quotePhrase(id), pageSize: 10 }),
    enabled: searchable,
    retry: false,
  });
  const hits = related.data?.hits ?? [];
  return (
    <section className="panel" role="alert" aria-label="Job not found">
      <h2>No job with id “{id}”</h2>
      <p>Neither Redis nor the archive knows this job: it never existed, or it finished longer ago than its queue's
        retention.</p>
      {related.isLoading && <Empty>Searching the archive…</Empty>}
      {hits.length > 0 && (
        <>
          <h3>Jobs that mention it</h3>
          <ul>
            {hits.map((hit) =>
              hit.job ? (
                <li key={hit.job.id}>
                  <Link to={jobPath(hit.job.id, hit.job.queue)}>{hit.job.id}</Link>{" "}
                  <span className="muted">
                    {hit.job.queue} · {hit.job.type}
                  </span>
                </li>
              ) : null,
            )}
          </ul>
        </>
      )}
      {searchable && (
        <p>
          <Link to={`/search?q=${encodeURIComponent(quotePhrase(id))}`}>Search all jobs for “{id}”</Link>
        </p>
      )}
    </section>
  );
}
