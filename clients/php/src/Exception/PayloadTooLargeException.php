<?php

declare(strict_types=1);

namespace Zenith\Exception;

/**
 * A job payload (or result) is larger than the configured limit; nothing was sent.
 */
final class PayloadTooLargeException extends InvalidArgumentException
{
    public function __construct(public readonly int $size, public readonly int $limit, string $what = 'payload')
    {
        parent::__construct(sprintf(
            'job %s is %d bytes, over the limit of %d bytes (the server refuses it; raise maxPayloadBytes only if the server runs with a larger --max-payload-bytes); nothing was sent',
            $what,
            $size,
            $limit,
        ));
    }
}
