<?php

declare(strict_types=1);

namespace Zenith\Tests\Support;

use PHPUnit\Framework\TestCase;
use Zenith\Client;

/**
 * Tests against the real server of {@see TestServer}.
 */
abstract class ServerTestCase extends TestCase
{
    protected Client $client;

    protected function setUp(): void
    {
        $this->client = new Client(TestServer::get()->url);
    }

    /** A queue name of this test alone. */
    protected static function queue(string $stem): string
    {
        return $stem . '-' . bin2hex(random_bytes(4));
    }

    /**
     * Polls `$check` until it returns a non-null value, at most `$seconds`.
     *
     * @template T
     * @param callable(): (T|null) $check
     * @return T
     */
    protected static function eventually(callable $check, float $seconds = 5.0, string $what = 'condition'): mixed
    {
        $deadline = microtime(true) + $seconds;
        do {
            $value = $check();
            if ($value !== null) {
                return $value;
            }
            usleep(100000);
        } while (microtime(true) < $deadline);
        self::fail("timed out after {$seconds}s waiting for $what");
    }
}
