import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { cleanup, fireEvent, screen } from "@testing-library/react";
import { afterEach, beforeEach, expect, test, vi } from "vitest";

import { admin } from "../api/clients";
import { apiKey, setApiKey } from "../api/session";
import { ApiKeySchema, Role, WhoAmIResponseSchema } from "../gen/zenith/v1/admin_pb";
import { renderWithQueries } from "../ui/testing";
import { Identity, SessionGate } from "./session";

vi.mock("../api/clients", () => ({ admin: { whoAmI: vi.fn() } }));

const GOOD = "zk_k1_goodgoodgoodgoodgoodgoodgoodgood0";
const whoAmI = vi.mocked(admin.whoAmI);

beforeEach(() => {
  setApiKey(null);
  whoAmI.mockReset();
  // The server takes the good key only, as `authorization: Bearer …` would carry it.
  whoAmI.mockImplementation(async () => {
    if (apiKey() === GOOD) {
      return create(WhoAmIResponseSchema, {
        key: create(ApiKeySchema, { id: "k1", name: "ops laptop" }),
        role: Role.OPERATOR,
        principal: "key:k1",
      });
    }
    throw new ConnectError(apiKey() ? "api key is not valid" : "missing api key", Code.Unauthenticated);
  });
});
afterEach(cleanup);

test("without a key the console asks for one, refuses a wrong key with the server's reason, and takes a good one", async () => {
  renderWithQueries(
    <SessionGate>
      <p>the console</p>
      <Identity />
    </SessionGate>,
  );
  expect((await screen.findByTestId("login-reason")).textContent).toContain("missing api key");
  expect(screen.getByText("zenith keys create --role admin")).toBeTruthy();
  expect(screen.queryByText("the console")).toBeNull();

  fireEvent.change(screen.getByLabelText("API key"), { target: { value: "zk_nope_nope" } });
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
  expect((await screen.findByRole("alert")).textContent).toBe("The server refused this key: api key is not valid");
  expect(apiKey()).toBeNull();

  fireEvent.change(screen.getByLabelText("API key"), { target: { value: GOOD } });
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
  await screen.findByText("the console");
  expect(apiKey()).toBe(GOOD);
  expect(screen.getByTestId("identity").textContent).toContain("ops laptop");
  expect(screen.getByTestId("identity").textContent).toContain("operator");

  fireEvent.click(screen.getByRole("button", { name: "Sign out" }));
  expect(apiKey()).toBeNull();
  await screen.findByTestId("login-reason");
});

test("an open server needs no login and says so in the shell", async () => {
  whoAmI.mockResolvedValue(create(WhoAmIResponseSchema, { open: true, role: Role.ADMIN, principal: "open@127.0.0.1" }));
  renderWithQueries(
    <SessionGate>
      <Identity />
    </SessionGate>,
  );
  expect((await screen.findByTestId("identity")).textContent).toContain("open mode");
  expect(screen.queryByRole("button", { name: "Sign out" })).toBeNull();
});
