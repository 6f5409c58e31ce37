<?php

declare(strict_types=1);

namespace Zenith;

/**
 * Thrown by a handler to fail the attempt with a message; {@see JobFailure::permanent()} sends
 * the job straight to dead instead of retrying it. Any other exception fails the attempt as
 * retryable.
 */
class JobFailure extends \RuntimeException
{
    private bool $retryable = true;

    /** A failure that another attempt would repeat: the job goes to dead. */
    public static function permanent(string $message, ?\Throwable $previous = null): self
    {
        $failure = new self($message, 0, $previous);
        $failure->retryable = false;
        return $failure;
    }

    public function isRetryable(): bool
    {
        return $this->retryable;
    }
}
