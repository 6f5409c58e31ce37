import { create } from "@bufbuild/protobuf";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, test } from "vitest";

import { AuditEventSchema, Role } from "../../gen/zenith/v1/admin_pb";
import { AuditTable } from "./AuditTable";

const refused = create(AuditEventSchema, {
  id: 7n,
  time: { seconds: 1_795_000_000n, nanos: 0 },
  principal: "key:k2viewer",
  keyName: "<b>dashboards</b>",
  role: Role.VIEWER,
  rpc: "/zenith.v1.QueueService/PurgeQueue",
  target: "emails",
  request: '{"queue":"<img src=x onerror=alert(1)>","note":"<script>alert(2)</script>"}',
  code: "PERMISSION_DENIED",
  message: "role viewer may not call QueueService/PurgeQueue; it needs admin",
  peer: "127.0.0.1",
});
const plain = create(AuditEventSchema, {
  id: 6n,
  principal: "key:k1admin",
  role: Role.ADMIN,
  rpc: "/zenith.v1.AdminService/CreateApiKey",
  request: "<i>not json</i>",
  code: "OK",
});

afterEach(cleanup);

test("a row shows who, what and the code, with failures badged", () => {
  render(<AuditTable events={[refused, plain]} />);
  const row = screen.getByText("QueueService/PurgeQueue").closest("tr")!;
  expect(row.textContent).toContain("key:k2viewer");
  expect(row.textContent).toContain("<b>dashboards</b>");
  expect(row.textContent).toContain("viewer");
  expect(row.querySelector(".badge.bad")?.textContent).toBe("PERMISSION_DENIED");
  expect(screen.getByText("OK").className).toContain("muted");
  expect(document.querySelector("b")).toBeNull();
});

test("an expanded row renders the request as text, never as markup", () => {
  const { container } = render(<AuditTable events={[refused, plain]} />);
  expect(screen.queryByTestId("audit-request")).toBeNull();
  const [first, second] = screen.getAllByRole("button", { name: "Show the request" });
  fireEvent.click(first);
  const request = screen.getByTestId("audit-request");
  expect(request.textContent).toContain('"<img src=x onerror=alert(1)>"');
  expect(request.textContent).toContain('"<script>alert(2)</script>"');
  fireEvent.click(second);
  expect(screen.getAllByTestId("audit-request")[1].textContent).toBe("<i>not json</i>");
  expect(container.querySelector("img, script, i, b")).toBeNull();
  fireEvent.click(screen.getAllByRole("button", { name: "Hide the request" })[0]);
  expect(screen.getAllByTestId("audit-request")).toHaveLength(1);
});
