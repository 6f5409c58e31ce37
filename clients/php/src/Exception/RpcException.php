<?php

declare(strict_types=1);

namespace Zenith\Exception;

use Zenith\Status;

/**
 * A call ended with a non-OK gRPC status. `getCode()` is the gRPC status code (see {@see Status}),
 * `getStatusName()` its name, e.g. `NOT_FOUND`.
 */
class RpcException extends ZenithException
{
    /**
     * @param array<string, string> $metadata trailers (and headers) of the answer
     */
    public function __construct(
        int $code,
        public readonly string $grpcMessage,
        public readonly string $method = '',
        public readonly array $metadata = [],
        ?\Throwable $previous = null,
    ) {
        $text = Status::name($code) . ($grpcMessage !== '' ? ': ' . $grpcMessage : '');
        if ($method !== '') {
            $text = $method . ': ' . $text;
        }
        parent::__construct($text, $code, $previous);
    }

    /**
     * The exception for a status: {@see UnauthenticatedException} and
     * {@see PermissionDeniedException} for refused API keys, else an RpcException.
     *
     * @param array<string, string> $metadata
     */
    public static function forStatus(int $code, string $grpcMessage, string $method = '', array $metadata = []): self
    {
        return match ($code) {
            Status::UNAUTHENTICATED => new UnauthenticatedException($code, $grpcMessage, $method, $metadata),
            Status::PERMISSION_DENIED => new PermissionDeniedException($code, $grpcMessage, $method, $metadata),
            default => new self($code, $grpcMessage, $method, $metadata),
        };
    }

    public function getStatusName(): string
    {
        return Status::name($this->getCode());
    }

    /**
     * True for failures that may pass by themselves (server unreachable, overloaded, timed out):
     * worth retrying with backoff.
     */
    public function isTransient(): bool
    {
        return in_array(
            $this->getCode(),
            [Status::UNAVAILABLE, Status::DEADLINE_EXCEEDED, Status::RESOURCE_EXHAUSTED, Status::ABORTED, Status::INTERNAL, Status::UNKNOWN],
            true,
        );
    }
}
