import { useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router";

import { PageHeader } from "../../ui/common";
import { readSearchParams, type SearchParams, writeSearchParams } from "./query";
import { SearchForm } from "./SearchForm";
import { SearchResults } from "./SearchResults";
import "./search.css";

// Live and archived jobs in one query (SEARCH.md). The URL holds the query, so a search can be
// shared and the Ctrl+K palette can start one.
export default function SearchPage() {
  const [url, setUrl] = useSearchParams();
  const search = readSearchParams(url);
  const key = writeSearchParams(search).toString();
  const client = useQueryClient();
  // Submitting the same search again asks again: live jobs change state.
  const onSearch = (next: SearchParams) => {
    const nextUrl = writeSearchParams(next);
    if (nextUrl.toString() === key) void client.invalidateQueries({ queryKey: ["search"] });
    else setUrl(nextUrl);
  };
  return (
    <>
      <PageHeader title="Search" />
      <SearchForm key={`form:${key}`} initial={search} onSearch={onSearch} />
      <SearchResults key={key} search={search} />
      <p className="muted search-help">
        Bare words and "quoted phrases" match a job's id, type, payload and last error as whole words; field terms
        such as <span className="mono">state = "dead"</span> or <span className="mono">error : "smtp"</span> follow the
        filter language. Join with AND, OR, NOT and parentheses.
      </p>
    </>
  );
}
