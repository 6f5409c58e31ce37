<?php

declare(strict_types=1);

namespace Zenith;

/**
 * Exponential backoff with jitter on the upper half: base, 2·base, 4·base… up to max.
 */
final class Backoff
{
    private int $attempt = 0;

    public function __construct(private readonly float $base = 0.2, private readonly float $max = 10.0)
    {
    }

    /** Seconds to wait before the next try. */
    public function next(): float
    {
        $ceiling = min($this->max, $this->base * (2 ** min($this->attempt, 16)));
        $this->attempt++;
        $half = $ceiling / 2;
        return $half + $half * (mt_rand() / mt_getrandmax());
    }

    public function reset(): void
    {
        $this->attempt = 0;
    }
}
