import { type ReactNode, useEffect, useRef } from "react";

// A modal with free content (forms, editors). Esc closes it.
export function Modal(props: { title: string; children: ReactNode; onClose: () => void; wide?: boolean }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      className={props.wide ? "modal wide" : "modal"}
      onCancel={props.onClose}
      aria-label={props.title}
    >
      <div className="modal-head">
        <h2>{props.title}</h2>
        <button type="button" className="ghost" aria-label="Close" onClick={props.onClose}>
          ✕
        </button>
      </div>
      {props.children}
    </dialog>
  );
}
