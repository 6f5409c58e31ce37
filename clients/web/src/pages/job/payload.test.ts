import { describe, expect, test } from "vitest";

import { decodePayload, toBase64, toHex } from "./payload";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("decodePayload", () => {
  test("tells JSON, text, empty and binary payloads apart", () => {
    expect(decodePayload(bytes('{"a":1}'))).toEqual({ kind: "json", text: '{"a":1}' });
    expect(decodePayload(bytes("hello\nworld"))).toEqual({ kind: "text", text: "hello\nworld" });
    expect(decodePayload(new Uint8Array())).toEqual({ kind: "empty" });
    expect(decodePayload(new Uint8Array([0xff, 0xfe, 0x00])).kind).toBe("binary");
    expect(decodePayload(new Uint8Array([0x41, 0x00, 0x42])).kind).toBe("binary");
  });

  test("shows binary as base64 and a hex preview", () => {
    const decoded = decodePayload(new Uint8Array([0, 1, 255]));
    expect(decoded).toEqual({ kind: "binary", size: 3, base64: "AAH/", hex: "000000  00 01 ff" });
  });
});

test("toHex breaks lines every sixteen bytes", () => {
  const lines = toHex(new Uint8Array(20)).split("\n");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe("000010  00 00 00 00");
  expect(toBase64(bytes("hi"))).toBe("aGk=");
});
