import { expect, test } from "vitest";

import { isEmpty, isSelected, isTextEntry, NONE, selectedIds, selectIds, toggle } from "./selection";

const loaded = ["a", "b", "c"];

test("toggling adds and removes ids", () => {
  const one = toggle(NONE, "b", loaded);
  expect(isSelected(one, "b")).toBe(true);
  expect(isSelected(one, "a")).toBe(false);
  expect(isEmpty(toggle(one, "b", loaded))).toBe(true);
  expect(isEmpty(NONE)).toBe(true);
});

test("all matching selects every row; toggling one falls back to the loaded rows minus it", () => {
  const all = { kind: "matching" } as const;
  expect(isSelected(all, "zzz")).toBe(true);
  expect(selectedIds(all, loaded)).toEqual(loaded);
  expect(selectedIds(toggle(all, "a", loaded), loaded)).toEqual(["b", "c"]);
});

test("selected ids come back in list order", () => {
  expect(selectedIds(selectIds(["c", "a"]), loaded)).toEqual(["a", "c"]);
});

test("text fields keep Ctrl+A for text; checkboxes and the list do not", () => {
  const text = document.createElement("input");
  const box = document.createElement("input");
  box.type = "checkbox";
  expect(isTextEntry(text)).toBe(true);
  expect(isTextEntry(document.createElement("textarea"))).toBe(true);
  expect(isTextEntry(box)).toBe(false);
  expect(isTextEntry(document.createElement("div"))).toBe(false);
  expect(isTextEntry(null)).toBe(false);
});
