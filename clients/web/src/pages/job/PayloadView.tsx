import { JsonView } from "../../ui/JsonView";
import { formatBytes } from "../../ui/format";
import { decodePayload } from "./payload";

// A payload or result: JSON folded and highlighted, other text as is, binary as hex and base64.
export function PayloadView({ bytes, label }: { bytes: Uint8Array; label: string }) {
  const decoded = decodePayload(bytes);
  switch (decoded.kind) {
    case "empty":
      return <p className="muted">No {label}.</p>;
    case "json":
      return <JsonView text={decoded.text} />;
    case "text":
      return <pre className="code">{decoded.text}</pre>;
    case "binary":
      return (
        <div className="payload-binary">
          <p className="muted">
            Binary {label}, {formatBytes(decoded.size)}: not UTF-8 text. The first bytes in hex, then all of it in
            base64.
          </p>
          <pre className="code">{decoded.hex}</pre>
          <pre className="code">{decoded.base64}</pre>
        </div>
      );
  }
}
