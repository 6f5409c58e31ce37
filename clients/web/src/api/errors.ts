import { Code, ConnectError } from "@connectrpc/connect";

// A short, human message for any error an RPC may throw: the gRPC code name and the server's text.
export function errorMessage(error: unknown): string {
  if (error instanceof ConnectError) {
    return `${Code[error.code] ?? "error"}: ${error.rawMessage}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.NotFound;
}

export function isPermissionDenied(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.PermissionDenied;
}

export function isUnauthenticated(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.Unauthenticated;
}
