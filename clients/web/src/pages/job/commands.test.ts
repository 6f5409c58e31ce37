import { describe, expect, test } from "vitest";

import { cliGetJob, grpcurlGetJob, shellQuote } from "./commands";

const local = { protocol: "http:", host: "127.0.0.1:7791" };

describe("grpcurlGetJob", () => {
  test("asks the page's host for the job in its queue", () => {
    expect(grpcurlGetJob("01abc", "emails", local)).toBe(
      `grpcurl -plaintext -d '{"id":"01abc","queue":"emails"}' 127.0.0.1:7791 zenith.v1.QueueService/GetJob`,
    );
  });

  test("leaves the queue out when it is unknown", () => {
    expect(grpcurlGetJob("01abc", "", local)).toContain(`-d '{"id":"01abc"}'`);
  });

  test("adds the default port and drops -plaintext behind TLS", () => {
    expect(grpcurlGetJob("a", "", { protocol: "https:", host: "zenith.example.com" })).toBe(
      `grpcurl -d '{"id":"a"}' zenith.example.com:443 zenith.v1.QueueService/GetJob`,
    );
    expect(grpcurlGetJob("a", "", { protocol: "http:", host: "zenith.internal" })).toContain(" zenith.internal:80 ");
  });
});

describe("cliGetJob", () => {
  test("needs no --server on the default address", () => {
    expect(cliGetJob("01abc", { protocol: "http:", host: "127.0.0.1:7700" })).toBe("zenith jobs get 01abc");
  });

  test("names any other server", () => {
    expect(cliGetJob("01abc", local)).toBe("zenith jobs get 01abc --server http://127.0.0.1:7791");
  });
});

describe("shellQuote", () => {
  test("keeps plain words and quotes the rest, single quotes included", () => {
    expect(shellQuote("demo.emails")).toBe("demo.emails");
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });
});
