// The tail's bounded buffer: the newest `limit` lines, each once (a reconnect replays lines
// already shown; the server's id is unique per line).
export const TAIL_LIMIT = 2000;

export function appendLines<T extends { id: string }>(current: T[], incoming: T[], limit = TAIL_LIMIT): T[] {
  if (incoming.length === 0) return current;
  const seen = new Set(current.map((line) => line.id));
  const fresh = incoming.filter((line) => {
    if (!line.id) return true;
    if (seen.has(line.id)) return false;
    seen.add(line.id);
    return true;
  });
  if (fresh.length === 0) return current;
  const combined = current.concat(fresh);
  return combined.length > limit ? combined.slice(combined.length - limit) : combined;
}
