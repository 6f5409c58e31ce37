<?php

declare(strict_types=1);

namespace Zenith;

/**
 * @internal The lease state of the job a {@see Worker} runs.
 */
final class JobRun
{
    public ?string $cancelReason = null;
    public bool $lost = false;
    public bool $capped = false;
    public float $nextExtend;

    public function __construct(public float $leaseUntil, public readonly float $lease)
    {
        $this->nextExtend = microtime(true) + $lease / 3;
    }
}
