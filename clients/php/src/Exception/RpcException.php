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
     * The `google.rpc.ErrorInfo` reason the server gave (e.g. `LEASE_STALE`, `TOO_LARGE`), read
     * from the `grpc-status-details-bin` trailer; '' when there is none.
     */
    public function getReason(): string
    {
        $encoded = $this->metadata['grpc-status-details-bin'] ?? '';
        $padded = strtr($encoded, '-_', '+/') . str_repeat('=', (4 - strlen($encoded) % 4) % 4);
        $status = base64_decode($padded, true);
        if ($encoded === '' || $status === false) {
            return '';
        }
        // google.rpc.Status: details = 3 (repeated Any: type_url = 1, value = 2); ErrorInfo:
        // reason = 1. Read by hand so google/common-protos is not a dependency.
        foreach (self::protoFields($status) as [$number, $detail]) {
            if ($number !== 3) {
                continue;
            }
            $any = [];
            foreach (self::protoFields($detail) as [$field, $bytes]) {
                $any[$field] = $bytes;
            }
            if (str_ends_with($any[1] ?? '', 'google.rpc.ErrorInfo')) {
                foreach (self::protoFields($any[2] ?? '') as [$field, $bytes]) {
                    if ($field === 1) {
                        return $bytes;
                    }
                }
            }
        }
        return '';
    }

    /**
     * True for failures that may pass by themselves (server unreachable, overloaded, timed out,
     * rate limited): worth retrying with backoff. A size limit (`RESOURCE_EXHAUSTED`, reason
     * `TOO_LARGE`) answers the same every time, so it is not.
     */
    public function isTransient(): bool
    {
        if ($this->getCode() === Status::RESOURCE_EXHAUSTED) {
            return $this->getReason() !== 'TOO_LARGE';
        }
        return in_array(
            $this->getCode(),
            [Status::UNAVAILABLE, Status::DEADLINE_EXCEEDED, Status::ABORTED, Status::INTERNAL, Status::UNKNOWN],
            true,
        );
    }

    /**
     * The length-delimited fields of a protobuf message as [number, bytes]; other wire types
     * are skipped, and a malformed tail ends the list.
     *
     * @return list<array{int, string}>
     */
    private static function protoFields(string $message): array
    {
        $fields = [];
        $pos = 0;
        $length = strlen($message);
        while ($pos < $length) {
            $tag = self::varint($message, $pos);
            if ($tag === null) {
                break;
            }
            $wire = $tag & 7;
            if ($wire === 0) {
                if (self::varint($message, $pos) === null) {
                    break;
                }
            } elseif ($wire === 2) {
                $size = self::varint($message, $pos);
                if ($size === null || $pos + $size > $length) {
                    break;
                }
                $fields[] = [$tag >> 3, substr($message, $pos, $size)];
                $pos += $size;
            } elseif ($wire === 1) {
                $pos += 8;
            } elseif ($wire === 5) {
                $pos += 4;
            } else {
                break;
            }
        }
        return $fields;
    }

    private static function varint(string $message, int &$pos): ?int
    {
        $value = 0;
        for ($shift = 0; $shift < 63 && $pos < strlen($message); $shift += 7) {
            $byte = ord($message[$pos++]);
            $value |= ($byte & 0x7f) << $shift;
            if ($byte < 0x80) {
                return $value;
            }
        }
        return null;
    }
}
