<?php

declare(strict_types=1);

namespace Zenith\Exception;

/**
 * The caller passed something the SDK refuses before sending anything.
 */
class InvalidArgumentException extends ZenithException
{
}
