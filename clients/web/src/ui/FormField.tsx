import { cloneElement, type ReactElement, type ReactNode, useId } from "react";

// A labelled control with a reserved line for its error. The label points at the control by id
// instead of wrapping it, so the control's accessible name is the label alone.
export function FormField(props: {
  label: string;
  error?: string;
  hint?: ReactNode;
  children: ReactElement<{ id?: string }>;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>
        <span>
          {props.label} {props.hint}
        </span>
      </label>
      {cloneElement(props.children, { id })}
      <span className="field-error">{props.error ?? ""}</span>
    </div>
  );
}
