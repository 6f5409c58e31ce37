// End-to-end harness: a real Redis, a real `zenith serve --demo` on free loopback ports, and
// Debian's Chromium driven by playwright-core. One `Harness` per test file.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "../../..");
const SCREENSHOTS = join(REPO, "target/screenshots");
const DOC_SCREENSHOTS = join(REPO, "docs/screenshots");

export interface HarnessOptions {
  // Extra `zenith serve` flags, e.g. ["--alert-evaluation-interval", "1s"].
  serverArgs?: string[];
  // Start the server without `--demo`.
  noDemo?: boolean;
  // Serve clusters: the first on the harness's Redis, each other with a Redis of its own.
  clusters?: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export class Harness {
  url = "";
  redisUrl = "";
  browser!: Browser;
  context!: BrowserContext;
  page!: Page;
  // Console errors and CSP violations seen by any page; tests assert this stays empty.
  problems: string[] = [];
  private processes: ChildProcess[] = [];
  private dir = "";
  private serverLog: string[] = [];

  async start(options: HarnessOptions = {}): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), "zenith-e2e-"));
    const redisPort = await freePort();
    this.redisUrl = await this.startRedis(redisPort);
    const clusterArgs: string[] = [];
    if (options.clusters?.length) {
      const [first, ...others] = options.clusters;
      const entries = [first];
      for (const name of others) entries.push(`${name}=${await this.startRedis(await freePort())}`);
      clusterArgs.push("--clusters", entries.join(","));
    }
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const bin = process.env.ZENITH_BIN ?? join(REPO, "target/debug/zenith");
    const args = [
      "serve", "--listen", `127.0.0.1:${port}`, "--redis-url", this.redisUrl,
      "--database-url", `sqlite://${join(this.dir, "zenith.db")}`, "--data-dir", this.dir,
      ...(options.noDemo ? [] : ["--demo"]),
      ...clusterArgs,
      ...(options.serverArgs ?? []),
    ];
    // ZENITH_CONSOLE_DIR (e.g. clients/web/dist) serves a fresh `vite build` without
    // rebuilding the binary; unset, the server serves the console embedded in it.
    const server = this.spawn(bin, args, { RUST_LOG: "warn" });
    server.stderr?.on("data", (chunk: Buffer) => this.serverLog.push(chunk.toString()));
    await waitFor("zenith /readyz", async () => (await fetch(`${this.url}/readyz`)).ok);

    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    });
    this.context = await this.browser.newContext({
      viewport: { width: 1280, height: 800 },
      colorScheme: "dark",
      acceptDownloads: true,
    });
    await this.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: this.url });
    this.page = await this.newPage();
  }

  private async startRedis(port: number): Promise<string> {
    const dir = mkdtempSync(join(this.dir, "redis-"));
    this.spawn("redis-server", [
      "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--dir", dir,
    ]);
    return `redis://127.0.0.1:${port}`;
  }

  async newPage(): Promise<Page> {
    const page = await this.context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") this.problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => this.problems.push(`page error: ${error.message}`));
    return page;
  }

  // Opens a console path (e.g. "/queues") in the harness page and waits for the network to settle.
  async open(path: string, page: Page = this.page): Promise<Page> {
    await page.goto(`${this.url}${path}`);
    return page;
  }

  // A typed API client talking grpc-web to this server, for setting up and checking state; with
  // `apiKey`, it sends `authorization: Bearer <apiKey>`; with `cluster`, `x-zenith-cluster`.
  client<T extends DescService>(service: T, apiKey?: string, cluster?: string): Client<T> {
    const bearer: Interceptor = (next) => (request) => {
      if (apiKey) request.header.set("authorization", `Bearer ${apiKey}`);
      if (cluster) request.header.set("x-zenith-cluster", cluster);
      return next(request);
    };
    return createClient(service, createGrpcWebTransport({ baseUrl: this.url, interceptors: [bearer] }));
  }

  // Saves a 1280×800 screenshot as target/screenshots/<name>.png; with
  // ZENITH_UPDATE_SCREENSHOTS=1 also as docs/screenshots/<name>.png for README.
  async screenshot(name: string, page: Page = this.page): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    if (process.env.ZENITH_UPDATE_SCREENSHOTS === "1") {
      mkdirSync(DOC_SCREENSHOTS, { recursive: true });
      copyFileSync(file, join(DOC_SCREENSHOTS, `${name}.png`));
    }
  }

  serverOutput(): string {
    return this.serverLog.join("");
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    for (const child of this.processes.reverse()) child.kill("SIGTERM");
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
            child.once("exit", () => {
              clearTimeout(timer);
              done();
            });
          }),
      ),
    );
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.resume();
    this.processes.push(child);
    return child;
  }
}
