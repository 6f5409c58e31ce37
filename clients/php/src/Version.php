<?php

declare(strict_types=1);

namespace Zenith;

/**
 * This SDK's version, sent in beats as `zenith-sdk-php <version>`.
 */
final class Version
{
    public const SDK = '0.1.0';
}
