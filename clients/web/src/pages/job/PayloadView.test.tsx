import { render } from "@testing-library/react";
import { expect, test } from "vitest";

import { PayloadView } from "./PayloadView";

const bytes = (text: string) => new TextEncoder().encode(text);

test("a text payload with markup is shown as text", () => {
  const { container } = render(<PayloadView bytes={bytes("<b>hi</b><img src=x>")} label="payload" />);
  expect(container.querySelector("b, img")).toBeNull();
  expect(container.querySelector("pre")?.textContent).toBe("<b>hi</b><img src=x>");
});

test("a JSON payload goes to the folding JSON view", () => {
  const { getByTestId } = render(<PayloadView bytes={bytes('{"a":"<script>x</script>"}')} label="payload" />);
  expect(getByTestId("json-view").textContent).toContain('"<script>x</script>"');
});

test("a binary payload says so and shows hex and base64", () => {
  const { container } = render(<PayloadView bytes={new Uint8Array([0, 159, 146, 150])} label="result" />);
  expect(container.textContent).toContain("Binary result, 4 B");
  expect(container.textContent).toContain("00 9f 92 96");
  expect(container.textContent).toContain("AJ+Slg==");
});

test("an empty payload says there is none", () => {
  const { container } = render(<PayloadView bytes={new Uint8Array()} label="result" />);
  expect(container.textContent).toBe("No result.");
});

test("a payload hidden from this API key says so instead of claiming there is none", () => {
  const { container, getByTestId } = render(<PayloadView bytes={new Uint8Array()} label="payload" redacted />);
  expect(getByTestId("payload-redacted").textContent).toContain("payload is hidden for this API key");
  expect(container.textContent).not.toContain("No payload");
});
