import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";

import { ChannelSpecSchema, SmtpSecurity } from "../../gen/zenith/v1/alert_pb";
import { channelTarget, channelToForm, EMPTY_CHANNEL_FORM, formToChannel, validateChannel } from "./channels";

const webhook = { ...EMPTY_CHANNEL_FORM, id: "hook", kind: "webhook" as const };

describe("validateChannel", () => {
  test("a new channel needs its required secrets", () => {
    expect(validateChannel(webhook, [])).toEqual({ url: "Required" });
    expect(validateChannel({ ...webhook, fields: { url: "https://x" } }, [])).toEqual({});
  });

  test("a stored secret may be left empty", () => {
    expect(validateChannel(webhook, ["url"])).toEqual({});
  });

  test("e-mail needs a host, sender and recipients, and a numeric port", () => {
    const email = { ...EMPTY_CHANNEL_FORM, id: "mail", kind: "email" as const, fields: { smtpPort: "x" } };
    expect(Object.keys(validateChannel(email, ["password"])).sort()).toEqual(["from", "smtpHost", "smtpPort", "to"]);
  });
});

test("secrets never come back into the form", () => {
  const spec = create(ChannelSpecSchema, {
    id: "hook",
    kind: { case: "webhook", value: { url: "https://example.com/secret", signingSecret: "s" } },
  });
  expect(channelToForm(spec).fields).toEqual({ url: "", signingSecret: "" });
});

test("an e-mail channel survives the round trip, recipients split on commas", () => {
  const form = {
    ...EMPTY_CHANNEL_FORM,
    id: "mail",
    kind: "email" as const,
    fields: { smtpHost: "smtp.x", smtpPort: "465", security: String(SmtpSecurity.TLS), username: "u", password: "", from: "z@x", to: "a@x, b@x" },
  };
  const spec = create(ChannelSpecSchema, formToChannel(form));
  expect(spec.kind.case).toBe("email");
  expect(spec.kind.value).toMatchObject({ smtpPort: 465, security: SmtpSecurity.TLS, to: ["a@x", "b@x"] });
  expect(channelToForm(spec)).toEqual(form);
  expect(channelTarget(spec)).toBe("e-mail via smtp.x to a@x, b@x");
});
