<?php

declare(strict_types=1);

namespace Zenith;

/**
 * gRPC status codes.
 */
final class Status
{
    public const OK = 0;
    public const CANCELLED = 1;
    public const UNKNOWN = 2;
    public const INVALID_ARGUMENT = 3;
    public const DEADLINE_EXCEEDED = 4;
    public const NOT_FOUND = 5;
    public const ALREADY_EXISTS = 6;
    public const PERMISSION_DENIED = 7;
    public const RESOURCE_EXHAUSTED = 8;
    public const FAILED_PRECONDITION = 9;
    public const ABORTED = 10;
    public const OUT_OF_RANGE = 11;
    public const UNIMPLEMENTED = 12;
    public const INTERNAL = 13;
    public const UNAVAILABLE = 14;
    public const DATA_LOSS = 15;
    public const UNAUTHENTICATED = 16;

    private const NAMES = [
        'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND',
        'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION',
        'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS',
        'UNAUTHENTICATED',
    ];

    public static function name(int $code): string
    {
        return self::NAMES[$code] ?? ('CODE_' . $code);
    }

    /**
     * The gRPC code for an HTTP status when the answer carries no grpc-status (gRPC's
     * "HTTP to gRPC status code mapping").
     */
    public static function fromHttp(int $httpStatus): int
    {
        return match ($httpStatus) {
            400 => self::INTERNAL,
            401 => self::UNAUTHENTICATED,
            403 => self::PERMISSION_DENIED,
            404 => self::UNIMPLEMENTED,
            429, 502, 503, 504 => self::UNAVAILABLE,
            default => self::UNKNOWN,
        };
    }
}
