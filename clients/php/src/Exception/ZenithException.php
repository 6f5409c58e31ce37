<?php

declare(strict_types=1);

namespace Zenith\Exception;

/**
 * Base of every exception the SDK throws.
 */
class ZenithException extends \RuntimeException
{
}
