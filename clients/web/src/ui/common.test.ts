import { expect, test } from "vitest";

import { toCsv } from "./common";

test("csv quotes every field and doubles quotes", () => {
  expect(toCsv(["id", "error"], [["a", 'said "no", twice']])).toBe('"id","error"\r\n"a","said ""no"", twice"\r\n');
});
