import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { render } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { expect, test } from "vitest";

import { LogLevel, LogRecordSchema } from "../../gen/zenith/v1/logs_pb";
import { LogLine } from "./LogLine";

test("a log line shows markup in its message and fields as text, and links its job", () => {
  const record = create(LogRecordSchema, {
    time: timestampFromMs(Date.UTC(2026, 10, 23, 9, 30)),
    level: LogLevel.ERROR,
    message: "<b>bold</b> <script>x()</script>",
    service: "billing",
    nodeId: "web-1",
    queue: "billing",
    jobId: "order-1234",
    fields: { user: "<i>ada</i>" },
  });
  const { container, getByRole } = render(
    <MemoryRouter>
      <LogLine record={record} />
    </MemoryRouter>,
  );
  expect(container.querySelector("b, script, i")).toBeNull();
  expect(container.textContent).toContain("<b>bold</b> <script>x()</script> user=<i>ada</i>");
  expect(container.textContent).toContain("error");
  expect(container.textContent).toContain("billing/web-1");
  expect(getByRole("link", { name: "order-1234" }).getAttribute("href")).toBe("/jobs/order-1234?queue=billing");
});
