<?php

declare(strict_types=1);

namespace Zenith\Log;

use Psr\Log\LogLevel;
use Zenith\V1\LogLevel as ZenithLevel;

/**
 * PSR-3 messages and contexts as Zenith log lines.
 */
final class Records
{
    /** PSR-3 `{key}` placeholders replaced by context values. */
    public static function interpolate(string $message, array $context): string
    {
        if (!str_contains($message, '{')) {
            return $message;
        }
        $replace = [];
        foreach ($context as $key => $value) {
            $text = self::text($value);
            if ($text !== null) {
                $replace['{' . $key . '}'] = $text;
            }
        }
        return strtr($message, $replace);
    }

    /**
     * Context values not used as placeholders, as strings (exceptions with their stack trace).
     *
     * @return array<string, string>
     */
    public static function fields(array $context, string $message): array
    {
        $fields = [];
        foreach ($context as $key => $value) {
            if (str_contains($message, '{' . $key . '}') && !$value instanceof \Throwable) {
                continue;
            }
            $text = self::text($value);
            if ($text !== null) {
                $fields[(string) $key] = $text;
            }
        }
        return $fields;
    }

    public static function level(mixed $level): int
    {
        return match ($level) {
            LogLevel::DEBUG => ZenithLevel::LOG_LEVEL_DEBUG,
            LogLevel::INFO, LogLevel::NOTICE => ZenithLevel::LOG_LEVEL_INFO,
            LogLevel::WARNING => ZenithLevel::LOG_LEVEL_WARN,
            LogLevel::ERROR, LogLevel::CRITICAL, LogLevel::ALERT, LogLevel::EMERGENCY => ZenithLevel::LOG_LEVEL_ERROR,
            default => ZenithLevel::LOG_LEVEL_INFO,
        };
    }

    private static function text(mixed $value): ?string
    {
        return match (true) {
            $value === null => 'null',
            is_bool($value) => $value ? 'true' : 'false',
            is_scalar($value) => (string) $value,
            $value instanceof \Throwable => (string) $value,
            $value instanceof \DateTimeInterface => $value->format(DATE_RFC3339_EXTENDED),
            $value instanceof \Stringable => (string) $value,
            is_array($value) => json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR) ?: null,
            default => get_debug_type($value),
        };
    }
}
