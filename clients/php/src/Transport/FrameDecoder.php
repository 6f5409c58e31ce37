<?php

declare(strict_types=1);

namespace Zenith\Transport;

/**
 * Splits a grpc-web byte stream into frames as bytes arrive: 1 flag byte, a 4-byte big-endian
 * length, then the frame. Flag 0x00 is a message, 0x80 the trailers.
 */
final class FrameDecoder
{
    private string $buffer = '';

    /**
     * Adds bytes; returns the frames now complete, each as [flag, bytes].
     *
     * @return list<array{int, string}>
     */
    public function push(string $bytes): array
    {
        $this->buffer .= $bytes;
        $frames = [];
        while (strlen($this->buffer) >= 5) {
            $flag = ord($this->buffer[0]);
            $length = unpack('N', substr($this->buffer, 1, 4))[1];
            if (strlen($this->buffer) < 5 + $length) {
                break;
            }
            $frames[] = [$flag, substr($this->buffer, 5, $length)];
            $this->buffer = substr($this->buffer, 5 + $length);
        }
        return $frames;
    }

    /** Bytes received that do not make a whole frame yet. */
    public function pending(): int
    {
        return strlen($this->buffer);
    }

    /** One frame: flag byte, big-endian length, message. */
    public static function encode(string $message, int $flag = 0): string
    {
        return chr($flag) . pack('N', strlen($message)) . $message;
    }

    /**
     * Parses a trailer frame (`name: value` lines separated by CRLF) into lower-case names.
     *
     * @return array<string, string>
     */
    public static function parseTrailers(string $block): array
    {
        $trailers = [];
        foreach (preg_split('/\r?\n/', $block) ?: [] as $line) {
            $colon = strpos($line, ':');
            if ($colon === false) {
                continue;
            }
            $trailers[strtolower(trim(substr($line, 0, $colon)))] = trim(substr($line, $colon + 1));
        }
        return $trailers;
    }
}
