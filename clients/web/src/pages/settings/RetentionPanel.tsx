import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { archive } from "../../api/clients";
import type { ArchiveSettings } from "../../gen/zenith/v1/archive_pb";
import { Empty, ErrorBox } from "../../ui/common";
import { durationMillis } from "../../ui/format";
import { formatRetention, parseRetention, queueNameError } from "./retention";

type IndexChoice = "keep" | "on" | "off";

const SETTINGS_KEY = ["archive", "settings"];

function SettingsRow(props: { settings: ArchiveSettings; onEdit?: () => void; onReset?: () => void; busy?: boolean }) {
  const { settings } = props;
  return (
    <tr>
      <td className={settings.queue ? "mono" : "muted"}>{settings.queue || "defaults (every other queue)"}</td>
      <td>{formatRetention(durationMillis(settings.retention))}</td>
      <td>{settings.indexOnEnqueue ? "on" : "off"}</td>
      <td className="num">
        {props.onEdit && (
          <span className="page-actions settings-row-actions">
            <button type="button" onClick={props.onEdit}>
              Edit
            </button>
            <button type="button" onClick={props.onReset} disabled={props.busy} title="Follow the defaults again">
              Reset
            </button>
          </span>
        )}
      </td>
    </tr>
  );
}

// How long each queue's history is kept and whether its jobs are searchable while live.
export function RetentionPanel() {
  const client = useQueryClient();
  const settings = useQuery({ queryKey: SETTINGS_KEY, queryFn: () => archive.listArchiveSettings({}) });
  const [queue, setQueue] = useState("");
  const [retention, setRetention] = useState("");
  const [index, setIndex] = useState<IndexChoice>("keep");
  const [touched, setTouched] = useState(false);

  const update = useMutation({
    mutationFn: (request: Parameters<typeof archive.updateArchiveSettings>[0]) =>
      archive.updateArchiveSettings(request),
    onSuccess: () => client.invalidateQueries({ queryKey: SETTINGS_KEY }),
  });

  const queueError = queueNameError(queue);
  const parsed = retention.trim() ? parseRetention(retention) : undefined;
  const retentionError = parsed && "error" in parsed ? parsed.error : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (queueError || retentionError) return;
    update.mutate({
      queue: queue.trim(),
      retention: parsed && "ms" in parsed ? durationFromMs(parsed.ms) : undefined,
      indexOnEnqueue: index === "keep" ? undefined : index === "on",
    });
  };
  const edit = (row: ArchiveSettings) => {
    setQueue(row.queue);
    setRetention(formatRetention(durationMillis(row.retention)));
    setIndex(row.indexOnEnqueue ? "on" : "off");
    setTouched(false);
    update.reset();
  };

  return (
    <section className="panel" aria-label="Retention">
      <h2>Archive retention per queue</h2>
      <p className="muted">
        How long finished jobs and their events stay searchable, and whether jobs are indexed when enqueued (so live
        jobs are found by search) or only once finished.
      </p>
      <ErrorBox error={settings.error} />
      {settings.data ? (
        <table className="settings-table">
          <thead>
            <tr>
              <th>Queue</th>
              <th>Retention</th>
              <th>Index on enqueue</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {settings.data.defaults && <SettingsRow settings={settings.data.defaults} />}
            {settings.data.overrides.map((row) => (
              <SettingsRow
                key={row.queue}
                settings={row}
                busy={update.isPending}
                onEdit={() => edit(row)}
                onReset={() => update.mutate({ queue: row.queue, reset: true })}
              />
            ))}
          </tbody>
        </table>
      ) : (
        !settings.error && <Empty>Loading…</Empty>
      )}
      <h3 className="settings-subhead">Set a queue's override</h3>
      <form className="form-row settings-retention-form" onSubmit={submit} noValidate>
        <label>
          Queue
          <input
            aria-label="Queue"
            value={queue}
            aria-invalid={touched && Boolean(queueError)}
            onChange={(e) => setQueue(e.target.value)}
          />
          <span className="field-error">{touched ? queueError : ""}</span>
        </label>
        <label>
          Retention
          <input
            aria-label="Retention"
            placeholder="keep current, or 7d, 12h"
            value={retention}
            aria-invalid={Boolean(retentionError)}
            onChange={(e) => setRetention(e.target.value)}
          />
          <span className="field-error">{retentionError ?? ""}</span>
        </label>
        <label>
          Index on enqueue
          <select aria-label="Index on enqueue" value={index} onChange={(e) => setIndex(e.target.value as IndexChoice)}>
            <option value="keep">keep current</option>
            <option value="on">on</option>
            <option value="off">off</option>
          </select>
        </label>
        <div className="settings-submit">
          <button type="submit" className="primary" disabled={update.isPending}>
            Save override
          </button>
        </div>
      </form>
      {update.isSuccess && update.data.settings && (
        <p className="muted" aria-live="polite">
          {update.data.inherited
            ? `Queue ${update.data.settings.queue} follows the defaults again.`
            : `Saved: ${update.data.settings.queue} keeps history for ${formatRetention(durationMillis(update.data.settings.retention))}.`}
        </p>
      )}
      <ErrorBox error={update.error} />
    </section>
  );
}
