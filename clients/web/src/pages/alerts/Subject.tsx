import { Link } from "react-router";

// An alert's subject, linked to its page when it has one: `queue:<q>`, `schedule:<id>`, ….
export function Subject({ subject }: { subject: string }) {
  const at = subject.indexOf(":");
  const kind = at < 0 ? subject : subject.slice(0, at);
  const name = at < 0 ? "" : subject.slice(at + 1);
  if (kind === "queue") return <Link to={`/queues/${encodeURIComponent(name)}`}>{subject}</Link>;
  if (kind === "schedule") return <Link to={`/cron/${encodeURIComponent(name)}`}>{subject}</Link>;
  if (kind === "node" || kind === "service") return <Link to="/workers">{subject}</Link>;
  return <span>{subject}</span>;
}
