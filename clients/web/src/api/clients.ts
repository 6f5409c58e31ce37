// One grpc-web transport to the server that served the page, and one client per service.
import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";

import { AdminService } from "../gen/zenith/v1/admin_pb";
import { AlertService } from "../gen/zenith/v1/alert_pb";
import { ArchiveService } from "../gen/zenith/v1/archive_pb";
import { CronService } from "../gen/zenith/v1/cron_pb";
import { LogService } from "../gen/zenith/v1/logs_pb";
import { PulseService } from "../gen/zenith/v1/pulse_pb";
import { QueueService } from "../gen/zenith/v1/queue_pb";
import { CLUSTER_HEADER, selectedCluster } from "./cluster";
import { apiKey, reportUnauthenticated } from "./session";

// Sends the API key saved at login, when there is one, as `authorization: Bearer …` and the
// chosen cluster as `x-zenith-cluster`, and tells the session when the server refuses the key
// (UNAUTHENTICATED), be it at once or as a stream ends.
export const bearer: Interceptor = (next) => async (request) => {
  const key = apiKey();
  if (key) request.header.set("authorization", `Bearer ${key}`);
  const cluster = selectedCluster();
  if (cluster) request.header.set(CLUSTER_HEADER, cluster);
  const refused = (error: unknown) => {
    if (error instanceof ConnectError && error.code === Code.Unauthenticated) {
      reportUnauthenticated(error.rawMessage, key);
    }
    return error;
  };
  let response;
  try {
    response = await next(request);
  } catch (error) {
    throw refused(error);
  }
  if (!response.stream) return response;
  const messages = response.message;
  return {
    ...response,
    message: (async function* () {
      try {
        yield* messages;
      } catch (error) {
        throw refused(error);
      }
    })(),
  };
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
export const admin = client(AdminService);
