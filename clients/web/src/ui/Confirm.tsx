import { type ReactNode, useEffect, useRef } from "react";

// A modal confirmation. Destructive actions say what they do and to how many jobs in `title`.
export function Confirm(props: {
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="modal" onCancel={props.onCancel} aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.children}
      <div className="modal-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className={props.danger ? "danger" : "primary"}
          disabled={props.busy}
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
