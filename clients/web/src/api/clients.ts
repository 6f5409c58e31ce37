// One grpc-web transport to the server that served the page, and one client per service.
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";

import { AlertService } from "../gen/zenith/v1/alert_pb";
import { ArchiveService } from "../gen/zenith/v1/archive_pb";
import { CronService } from "../gen/zenith/v1/cron_pb";
import { LogService } from "../gen/zenith/v1/logs_pb";
import { PulseService } from "../gen/zenith/v1/pulse_pb";
import { QueueService } from "../gen/zenith/v1/queue_pb";
import { apiKey } from "./session";

// Sends the API key saved at login, when there is one, as `authorization: Bearer …`.
const bearer: Interceptor = (next) => async (request) => {
  const key = apiKey();
  if (key) request.header.set("authorization", `Bearer ${key}`);
  return next(request);
};

const transport = createGrpcWebTransport({
  baseUrl: typeof window === "undefined" ? "http://127.0.0.1:7700" : window.location.origin,
  interceptors: [bearer],
});

function client<T extends DescService>(service: T): Client<T> {
  return createClient(service, transport);
}

export const queues = client(QueueService);
export const archive = client(ArchiveService);
export const pulse = client(PulseService);
export const logs = client(LogService);
export const cron = client(CronService);
export const alerts = client(AlertService);
