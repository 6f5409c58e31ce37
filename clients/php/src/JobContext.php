<?php

declare(strict_types=1);

namespace Zenith;

use Zenith\V1\Job;

/**
 * The job a handler runs, with what it needs to cooperate with the worker.
 */
final class JobContext
{
    private ?string $result = null;

    /** @internal built by the {@see Worker} */
    public function __construct(
        private readonly Job $job,
        private readonly string $leaseToken,
        private readonly \Closure $heartbeat,
    ) {
    }

    /** The job as the server handed it out. */
    public function job(): Job
    {
        return $this->job;
    }

    public function id(): string
    {
        return $this->job->getId();
    }

    public function queue(): string
    {
        return $this->job->getQueue();
    }

    public function type(): string
    {
        return $this->job->getType();
    }

    public function payload(): string
    {
        return $this->job->getPayload();
    }

    /**
     * The job's headers; `traceparent` names the span that enqueued it, to continue its trace.
     *
     * @return array<string, string>
     */
    public function headers(): array
    {
        return iterator_to_array($this->job->getHeaders());
    }

    public function leaseToken(): string
    {
        return $this->leaseToken;
    }

    /** Which attempt this is, counting from 1. */
    public function attempt(): int
    {
        return $this->job->getAttempts();
    }

    /**
     * The payload decoded as JSON (objects as associative arrays). A payload that does not decode
     * fails the job without retry, since another attempt would not decode it either.
     */
    public function json(bool $associative = true): mixed
    {
        try {
            return json_decode($this->job->getPayload(), $associative, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $error) {
            throw JobFailure::permanent('decode json payload: ' . $error->getMessage(), $error);
        }
    }

    /** Keeps these bytes with the job when it is acked (a handler may also return them). */
    public function setResult(string $bytes): void
    {
        $this->result = $bytes;
    }

    /** Keeps this value, as compact JSON, with the job when it is acked. */
    public function setJsonResult(mixed $value): void
    {
        $this->result = Payload::json($value)->bytes;
    }

    public function result(): ?string
    {
        return $this->result;
    }

    /**
     * Call now and then from long handlers: keeps the lease alive (ExtendLease when due, even
     * without pcntl), reads the pulse's instructions, and returns false once the job should stop
     * (an operator cancelled it, or its lease is lost). Cheap when nothing is due.
     */
    public function heartbeat(): bool
    {
        return ($this->heartbeat)();
    }

    /** True when the handler should stop: cancelled by an operator or lease lost. */
    public function isCancelled(): bool
    {
        return !($this->heartbeat)();
    }
}
