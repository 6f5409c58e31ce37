// Commands that fetch a job from a shell, for the "copy as" buttons.
export const DEFAULT_SERVER = "http://127.0.0.1:7700";

export interface ServerLocation {
  protocol: string; // "http:" or "https:", as in window.location
  host: string; // "127.0.0.1:7700", or a name without a port
}

// grpcurl needs host:port; a page served on the default port has none in its host.
function hostWithPort(location: ServerLocation): string {
  if (/:\d+$/.test(location.host)) return location.host;
  return `${location.host}:${location.protocol === "https:" ? 443 : 80}`;
}

// Single-quotes a word for a POSIX shell.
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_.:/@=-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function grpcurlGetJob(id: string, queue: string, location: ServerLocation): string {
  const request: Record<string, string> = { id };
  if (queue) request.queue = queue;
  const tls = location.protocol === "https:" ? "" : "-plaintext ";
  return `grpcurl ${tls}-d ${shellQuote(JSON.stringify(request))} ${hostWithPort(location)} zenith.v1.QueueService/GetJob`;
}

export function cliGetJob(id: string, location: ServerLocation): string {
  const server = `${location.protocol}//${location.host}`;
  const command = `zenith jobs get ${shellQuote(id)}`;
  return server === DEFAULT_SERVER ? command : `${command} --server ${shellQuote(server)}`;
}
