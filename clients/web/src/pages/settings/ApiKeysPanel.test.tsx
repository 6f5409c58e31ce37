import { create } from "@bufbuild/protobuf";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeAll, beforeEach, expect, test, vi } from "vitest";

import { admin } from "../../api/clients";
import {
  ApiKeySchema,
  CreateApiKeyResponseSchema,
  ListApiKeysResponseSchema,
  Role,
  RevokeApiKeyResponseSchema,
  WhoAmIResponseSchema,
} from "../../gen/zenith/v1/admin_pb";
import { polyfillDialog, renderWithQueries } from "../../ui/testing";
import { ApiKeysPanel } from "./ApiKeysPanel";

vi.mock("../../api/clients", () => ({
  admin: { whoAmI: vi.fn(), listApiKeys: vi.fn(), createApiKey: vi.fn(), revokeApiKey: vi.fn() },
}));

const TOKEN = "zk_k2viewer_SECRETsecretSECRETsecretSECRETsecret00";
const adminKey = create(ApiKeySchema, { id: "k1admin", name: "ops admin", role: Role.ADMIN, payloads: true });
const viewerKey = create(ApiKeySchema, { id: "k2viewer", name: "dashboards", role: Role.VIEWER, queues: ["emails"] });
const mocked = vi.mocked(admin);

beforeAll(polyfillDialog);
beforeEach(() => {
  vi.resetAllMocks();
  mocked.whoAmI.mockResolvedValue(create(WhoAmIResponseSchema, { key: adminKey, role: Role.ADMIN, principal: "key:k1admin" }));
  mocked.listApiKeys.mockResolvedValue(create(ListApiKeysResponseSchema, { keys: [adminKey, viewerKey] }));
});

afterEach(cleanup);

test("a new key's token is shown once, with a warning, and gone when the dialog closes", async () => {
  mocked.createApiKey.mockResolvedValue(create(CreateApiKeyResponseSchema, { key: viewerKey, token: TOKEN }));
  renderWithQueries(<ApiKeysPanel />);
  await screen.findByText("ops admin");

  fireEvent.click(screen.getByRole("button", { name: "Create key" }));
  fireEvent.change(screen.getByLabelText("Name"), { target: { value: "dashboards" } });
  fireEvent.change(screen.getByLabelText(/^Role/), { target: { value: String(Role.VIEWER) } });
  fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Create key" }));
  expect(await screen.findByTestId("new-token")).toHaveProperty("textContent", TOKEN);
  expect(screen.getByText(/shown this once/)).toBeTruthy();
  expect(mocked.createApiKey).toHaveBeenCalledWith(
    expect.objectContaining({ name: "dashboards", role: Role.VIEWER, payloads: true, queues: [] }),
  );
  expect(screen.getByRole("button", { name: "Copy token" })).toBeTruthy();

  fireEvent.click(screen.getByRole("button", { name: "Done, I have copied it" }));
  await waitFor(() => expect(screen.queryByTestId("new-token")).toBeNull());
  expect(document.body.textContent).not.toContain(TOKEN);

  // Opening the form again starts a new key: the old token is not shown again.
  fireEvent.click(screen.getByRole("button", { name: "Create key" }));
  expect(screen.getByLabelText("Name")).toHaveProperty("value", "");
  expect(document.body.textContent).not.toContain(TOKEN);
});

test("a form without a name is not sent", async () => {
  renderWithQueries(<ApiKeysPanel />);
  await screen.findByText("ops admin");
  fireEvent.click(screen.getByRole("button", { name: "Create key" }));
  fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Create key" }));
  expect(await screen.findByText(/Name the key/)).toBeTruthy();
  expect(mocked.createApiKey).not.toHaveBeenCalled();
});

test("revoking asks first, naming the key, and revokes that key only when confirmed", async () => {
  mocked.revokeApiKey.mockResolvedValue(create(RevokeApiKeyResponseSchema, { key: viewerKey }));
  renderWithQueries(<ApiKeysPanel />);
  await screen.findByText("ops admin");

  fireEvent.click(screen.getByRole("button", { name: "Revoke dashboards" }));
  const dialog = screen.getByRole("dialog");
  expect(dialog.getAttribute("aria-label")).toBe('Revoke key "dashboards" (k2viewer)?');
  expect(dialog.textContent).toContain("dashboards");
  expect(mocked.revokeApiKey).not.toHaveBeenCalled();

  fireEvent.click(within(dialog).getByRole("button", { name: "Revoke dashboards" }));
  await waitFor(() => expect(mocked.revokeApiKey).toHaveBeenCalledWith({ id: "k2viewer" }));
  await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
});

test("a key that is not admin sees a short note, not the table or an error", async () => {
  mocked.whoAmI.mockResolvedValue(create(WhoAmIResponseSchema, { key: viewerKey, role: Role.VIEWER }));
  renderWithQueries(<ApiKeysPanel />);
  expect((await screen.findByTestId("keys-admins-only")).textContent).toContain("signs in as viewer");
  expect(screen.queryByRole("alert")).toBeNull();
  expect(mocked.listApiKeys).not.toHaveBeenCalled();
});
