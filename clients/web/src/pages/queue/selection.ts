// Which jobs the operator picked: some ids, or every job matching the state and filter (which
// turns the action into a server-side bulk operation instead of a list of ids).
export type Selection = { kind: "ids"; ids: ReadonlySet<string> } | { kind: "matching" };

export const NONE: Selection = { kind: "ids", ids: new Set() };

export function isSelected(selection: Selection, id: string): boolean {
  return selection.kind === "matching" || selection.ids.has(id);
}

// Toggling one row while "all matching" is on falls back to the loaded rows minus that one.
export function toggle(selection: Selection, id: string, loaded: readonly string[]): Selection {
  const ids = new Set(selection.kind === "matching" ? loaded : selection.ids);
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { kind: "ids", ids };
}

export function selectIds(ids: readonly string[]): Selection {
  return { kind: "ids", ids: new Set(ids) };
}

export function isEmpty(selection: Selection): boolean {
  return selection.kind === "ids" && selection.ids.size === 0;
}

// The ids to act on, keeping the list's order; for "all matching" the loaded ones.
export function selectedIds(selection: Selection, loaded: readonly string[]): string[] {
  return selection.kind === "matching" ? [...loaded] : loaded.filter((id) => selection.ids.has(id));
}

// Ctrl+A selects rows only when focus is not where Ctrl+A selects text.
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLTextAreaElement || target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }
  return false;
}
