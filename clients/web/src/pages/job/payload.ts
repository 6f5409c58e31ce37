// How a payload's bytes are shown: JSON folded, other UTF-8 as text, anything else as binary.
export type DecodedPayload =
  | { kind: "empty" }
  | { kind: "json"; text: string }
  | { kind: "text"; text: string }
  | { kind: "binary"; size: number; base64: string; hex: string };

// Control characters other than tab, newline and carriage return mark a payload as binary.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const PREVIEW_BYTES = 256;

export function decodePayload(bytes: Uint8Array): DecodedPayload {
  if (bytes.length === 0) return { kind: "empty" };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return binary(bytes);
  }
  if (CONTROL.test(text)) return binary(bytes);
  try {
    JSON.parse(text);
    return { kind: "json", text };
  } catch {
    return { kind: "text", text };
  }
}

function binary(bytes: Uint8Array): DecodedPayload {
  const preview = bytes.subarray(0, PREVIEW_BYTES);
  return { kind: "binary", size: bytes.length, base64: toBase64(bytes), hex: toHex(preview) };
}

export function toBase64(bytes: Uint8Array): string {
  let binaryText = "";
  for (const byte of bytes) binaryText += String.fromCharCode(byte);
  return btoa(binaryText);
}

// "00 ff 10 …", sixteen bytes a line.
export function toHex(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = Array.from(bytes.subarray(offset, offset + 16), (b) => b.toString(16).padStart(2, "0"));
    lines.push(`${offset.toString(16).padStart(6, "0")}  ${row.join(" ")}`);
  }
  return lines.join("\n");
}
