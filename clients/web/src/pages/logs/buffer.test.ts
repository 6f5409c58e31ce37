import { expect, test } from "vitest";

import { appendLines } from "./buffer";

const lines = (...ids: string[]) => ids.map((id) => ({ id }));

test("keeps only the newest lines past the limit", () => {
  expect(appendLines(lines("1", "2", "3"), lines("4", "5"), 4)).toEqual(lines("2", "3", "4", "5"));
  expect(appendLines([], lines("1", "2", "3", "4", "5", "6"), 2)).toEqual(lines("5", "6"));
});

test("drops lines already held, as a reconnect replays them", () => {
  expect(appendLines(lines("1", "2"), lines("2", "3", "3"))).toEqual(lines("1", "2", "3"));
});

test("returns the same array when nothing is new, so nothing re-renders", () => {
  const current = lines("1");
  expect(appendLines(current, [])).toBe(current);
  expect(appendLines(current, lines("1"))).toBe(current);
});
