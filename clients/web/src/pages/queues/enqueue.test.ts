import { expect, test } from "vitest";

import { type EnqueueFields, payloadError, toJobSpec, validate } from "./enqueue";

const good: EnqueueFields = {
  queue: "emails",
  type: "send_welcome",
  payload: '{"to": "ada@example.com"}',
  delaySeconds: "",
  priority: "",
  uniqueKey: "",
};

test("a payload is empty or JSON, and a bad one says where", () => {
  expect(payloadError("")).toBeUndefined();
  expect(payloadError('{"a": [1, 2]}')).toBeUndefined();
  expect(payloadError('{"a": ')).toMatch(/JSON|Unexpected|position/i);
});

test("the form refuses what the server would", () => {
  expect(validate(good)).toEqual({});
  const errors = validate({ ...good, queue: "bad name", type: " ", payload: "{", delaySeconds: "1.5", priority: "2000" });
  expect(Object.keys(errors).sort()).toEqual(["delaySeconds", "payload", "priority", "queue", "type"]);
});

test("the spec carries the payload as JSON bytes, the delay, priority and unique key", () => {
  const spec = toJobSpec({ ...good, delaySeconds: "30", priority: "-5", uniqueKey: " welcome-ada " });
  expect(new TextDecoder().decode(spec.payload)).toBe(good.payload);
  expect(spec.contentType).toBe("application/json");
  expect(spec.delay).toEqual({ seconds: 30n, nanos: 0 });
  expect(spec.priority).toBe(-5);
  expect(spec.uniqueKey).toBe("welcome-ada");
  expect(toJobSpec({ ...good, payload: "" }).delay).toBeUndefined();
});
