import { useSearchParams } from "react-router";

import { PageHeader } from "../../ui/common";
import { readSearchParams, writeSearchParams } from "./query";
import { SearchForm } from "./SearchForm";
import { SearchResults } from "./SearchResults";
import "./search.css";

// Live and archived jobs in one query (SEARCH.md). The URL holds the query, so a search can be
// shared and the Ctrl+K palette can start one.
export default function SearchPage() {
  const [url, setUrl] = useSearchParams();
  const search = readSearchParams(url);
  const key = writeSearchParams(search).toString();
  return (
    <>
      <PageHeader title="Search" />
      <SearchForm key={`form:${key}`} initial={search} onSearch={(next) => setUrl(writeSearchParams(next))} />
      <SearchResults key={key} search={search} />
      <p className="muted search-help">
        Bare words and "quoted phrases" match a job's id, type, payload and last error as whole words; field terms
        such as <span className="mono">state = "dead"</span> or <span className="mono">error : "smtp"</span> follow the
        filter language. Join with AND, OR, NOT and parentheses.
      </p>
    </>
  );
}
