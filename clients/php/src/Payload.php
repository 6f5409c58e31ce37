<?php

declare(strict_types=1);

namespace Zenith;

use Zenith\Exception\InvalidArgumentException;

/**
 * A job payload: bytes and their content type. Plain PHP values passed to
 * {@see Client::enqueue()} become JSON through {@see Payload::json()}.
 */
final class Payload
{
    public const JSON = 'application/json';

    private function __construct(public readonly string $bytes, public readonly string $contentType)
    {
    }

    /**
     * Encodes a value as compact JSON: UTF-8 as is (no `\u` escapes), `/ < > &` not escaped,
     * object keys in the order given. Use objects (`stdClass`, or `(object) []`) for `{}`: PHP's
     * empty array encodes as `[]`.
     */
    public static function json(mixed $value): self
    {
        try {
            $bytes = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR);
        } catch (\JsonException $error) {
            throw new InvalidArgumentException('payload is not encodable as JSON: ' . $error->getMessage(), 0, $error);
        }
        return new self($bytes, self::JSON);
    }

    /** Raw bytes, sent as given, with the caller's content type (may be empty). */
    public static function bytes(string $bytes, string $contentType = 'application/octet-stream'): self
    {
        return new self($bytes, $contentType);
    }
}
