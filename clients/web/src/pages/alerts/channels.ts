// The channel editor's model: each kind's fields, which of them are secret, and form <-> spec.
import type { MessageInitShape } from "@bufbuild/protobuf";

import { type ChannelSpec, type ChannelSpecSchema, Severity, SmtpSecurity } from "../../gen/zenith/v1/alert_pb";

export type ChannelKind = NonNullable<ChannelSpec["kind"]["case"]>;

export interface ChannelField {
  // The proto field in camelCase; `secret` fields are write-only.
  name: string;
  // As `secrets_set` names it: the proto field in snake_case.
  wireName: string;
  label: string;
  secret?: boolean;
  placeholder?: string;
}

export const CHANNEL_KINDS: Record<ChannelKind, { label: string; fields: ChannelField[] }> = {
  slack: {
    label: "Slack",
    fields: [{ name: "webhookUrl", wireName: "webhook_url", label: "Webhook URL", secret: true, placeholder: "https://hooks.slack.com/services/…" }],
  },
  discord: {
    label: "Discord",
    fields: [{ name: "webhookUrl", wireName: "webhook_url", label: "Webhook URL", secret: true, placeholder: "https://discord.com/api/webhooks/…" }],
  },
  webhook: {
    label: "Webhook",
    fields: [
      { name: "url", wireName: "url", label: "URL", secret: true, placeholder: "https://…" },
      { name: "signingSecret", wireName: "signing_secret", label: "Signing secret (optional)", secret: true },
    ],
  },
  pagerduty: {
    label: "PagerDuty",
    fields: [
      { name: "routingKey", wireName: "routing_key", label: "Routing key", secret: true },
      { name: "eventsUrl", wireName: "events_url", label: "Events URL (optional)", placeholder: "https://events.pagerduty.com/v2/enqueue" },
    ],
  },
  email: {
    label: "E-mail",
    fields: [
      { name: "smtpHost", wireName: "smtp_host", label: "SMTP host" },
      { name: "smtpPort", wireName: "smtp_port", label: "SMTP port", placeholder: "587" },
      { name: "security", wireName: "security", label: "Security" },
      { name: "username", wireName: "username", label: "Username (optional)" },
      { name: "password", wireName: "password", label: "Password", secret: true },
      { name: "from", wireName: "from", label: "From", placeholder: "Zenith <alerts@example.com>" },
      { name: "to", wireName: "to", label: "To (comma-separated)" },
    ],
  },
};

export const CHANNEL_KIND_IDS = Object.keys(CHANNEL_KINDS) as ChannelKind[];

export const SMTP_SECURITY: { value: SmtpSecurity; label: string }[] = [
  { value: SmtpSecurity.STARTTLS, label: "STARTTLS" },
  { value: SmtpSecurity.TLS, label: "TLS" },
  { value: SmtpSecurity.NONE, label: "None (trusted relay only)" },
];

export interface ChannelForm {
  id: string;
  description: string;
  disabled: boolean;
  minSeverity: Severity;
  kind: ChannelKind;
  // Field values by name; secrets always start empty.
  fields: Record<string, string>;
}

export const EMPTY_CHANNEL_FORM: ChannelForm = {
  id: "",
  description: "",
  disabled: false,
  minSeverity: Severity.UNSPECIFIED,
  kind: "webhook",
  fields: {},
};

// The form of a stored channel. Secrets come back empty from the server and stay empty here.
export function channelToForm(spec: ChannelSpec): ChannelForm {
  const kind = spec.kind.case ?? "webhook";
  const value = (spec.kind.value ?? {}) as unknown as Record<string, unknown>;
  const fields: Record<string, string> = {};
  for (const field of CHANNEL_KINDS[kind].fields) {
    const stored = value[field.name];
    if (field.secret || stored === undefined) fields[field.name] = "";
    else if (Array.isArray(stored)) fields[field.name] = stored.join(", ");
    else if (field.name === "smtpPort" && stored === 0) fields[field.name] = "";
    else fields[field.name] = String(stored);
  }
  return { id: spec.id, description: spec.description, disabled: spec.disabled, minSeverity: spec.minSeverity, kind, fields };
}

// Errors by field name. A secret may be left empty only when one is stored (`secretsSet`).
export function validateChannel(form: ChannelForm, secretsSet: string[]): Partial<Record<string, string>> {
  const errors: Partial<Record<string, string>> = {};
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(form.id)) errors.id = "1-100 of A-Z a-z 0-9 _ . : -";
  for (const field of CHANNEL_KINDS[form.kind].fields) {
    const text = (form.fields[field.name] ?? "").trim();
    const required = field.secret
      ? !field.label.includes("optional") && !secretsSet.includes(field.wireName)
      : ["smtpHost", "from", "to"].includes(field.name);
    if (required && text === "") errors[field.name] = "Required";
  }
  const port = (form.fields.smtpPort ?? "").trim();
  if (form.kind === "email" && port !== "" && !/^\d{1,5}$/.test(port)) errors.smtpPort = "A port number";
  return errors;
}

export function formToChannel(form: ChannelForm): MessageInitShape<typeof ChannelSpecSchema> {
  const text = (name: string) => (form.fields[name] ?? "").trim();
  const base = { id: form.id.trim(), description: form.description, disabled: form.disabled, minSeverity: form.minSeverity };
  switch (form.kind) {
    case "slack":
    case "discord":
      return { ...base, kind: { case: form.kind, value: { webhookUrl: text("webhookUrl") } } };
    case "webhook":
      return { ...base, kind: { case: "webhook", value: { url: text("url"), signingSecret: text("signingSecret") } } };
    case "pagerduty":
      return { ...base, kind: { case: "pagerduty", value: { routingKey: text("routingKey"), eventsUrl: text("eventsUrl") } } };
    case "email":
      return {
        ...base,
        kind: {
          case: "email",
          value: {
            smtpHost: text("smtpHost"),
            smtpPort: text("smtpPort") === "" ? 0 : Number(text("smtpPort")),
            security: text("security") === "" ? SmtpSecurity.UNSPECIFIED : Number(text("security")),
            username: text("username"),
            password: text("password"),
            from: text("from"),
            to: text("to").split(",").map((address) => address.trim()).filter((address) => address !== ""),
          },
        },
      };
  }
}

// Where a channel sends, without its secrets: "webhook", "e-mail to a@x, b@y".
export function channelTarget(spec: ChannelSpec | undefined): string {
  if (!spec?.kind.case) return "—";
  if (spec.kind.case === "email") return `e-mail via ${spec.kind.value.smtpHost} to ${spec.kind.value.to.join(", ")}`;
  return CHANNEL_KINDS[spec.kind.case].label;
}
