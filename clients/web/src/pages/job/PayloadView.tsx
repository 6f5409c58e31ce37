import { JsonView } from "../../ui/JsonView";
import { formatBytes } from "../../ui/format";
import { decodePayload } from "./payload";

// A payload or result: JSON folded and highlighted, other text as is, binary as hex and base64.
// A key without payload access gets none back (`redacted`), which is not the same as no payload.
export function PayloadView({ bytes, label, redacted }: { bytes: Uint8Array; label: string; redacted?: boolean }) {
  if (redacted) {
    return (
      <p className="muted" data-testid="payload-redacted">
        The {label} is hidden for this API key: it may not see payloads or results.
      </p>
    );
  }
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
