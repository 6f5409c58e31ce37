import { fireEvent, render } from "@testing-library/react";
import { expect, test } from "vitest";

import { JsonView } from "./JsonView";

test("payload text is rendered as text, never as markup", () => {
  const payload = JSON.stringify({ name: "<script>window.pwned=1</script>", html: "<img src=x onerror=alert(1)>" });
  const { container } = render(<JsonView text={payload} />);
  expect(container.querySelector("script")).toBeNull();
  expect(container.querySelector("img")).toBeNull();
  expect(container.textContent).toContain('"<script>window.pwned=1</script>"');
});

test("deep levels start folded and open on click", () => {
  const { container } = render(<JsonView text={JSON.stringify({ a: { b: { c: { d: 1 } } } })} />);
  expect(container.textContent).toContain("… 1 keys");
  expect(container.textContent).not.toContain('"c"');
  fireEvent.click(container.querySelector('[aria-expanded="false"]')!);
  expect(container.textContent).toContain('"c": ');
});

test("text that is not JSON is shown as it is", () => {
  const { container } = render(<JsonView text="<b>not json</b>" />);
  expect(container.querySelector("b")).toBeNull();
  expect(container.textContent).toBe("<b>not json</b>");
});
