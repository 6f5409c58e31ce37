<?php

declare(strict_types=1);

namespace Zenith\Log;

use Psr\Log\AbstractLogger;
use Psr\Log\LogLevel;

/**
 * Writes `time level message key=value…` lines to stderr: the default logger of the worker and
 * the pulse agent, so problems (an unreachable server, say) are visible without setup.
 */
final class StderrLogger extends AbstractLogger
{
    private const ORDER = [
        LogLevel::DEBUG => 0, LogLevel::INFO => 1, LogLevel::NOTICE => 2, LogLevel::WARNING => 3,
        LogLevel::ERROR => 4, LogLevel::CRITICAL => 5, LogLevel::ALERT => 6, LogLevel::EMERGENCY => 7,
    ];

    /** @param resource|null $stream */
    public function __construct(private readonly string $minLevel = LogLevel::INFO, private $stream = null)
    {
    }

    /**
     * @param mixed $level
     * @param string|\Stringable $message
     * @param array<string, mixed> $context
     */
    public function log($level, $message, array $context = []): void
    {
        if ((self::ORDER[$level] ?? 1) < (self::ORDER[$this->minLevel] ?? 1)) {
            return;
        }
        $line = sprintf('%s %s %s', gmdate('Y-m-d\TH:i:s\Z'), strtoupper((string) $level), Records::interpolate((string) $message, $context));
        foreach (Records::fields($context, (string) $message) as $key => $value) {
            $line .= ' ' . $key . '=' . (preg_match('/\s/', $value) ? json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) : $value);
        }
        @fwrite($this->stream ?? STDERR, $line . "\n");
    }
}
