<?php

declare(strict_types=1);

namespace Zenith\Exception;

/**
 * `UNAUTHENTICATED`: no API key while the server has keys, or a key it does not accept (unknown,
 * revoked, expired, malformed).
 */
final class UnauthenticatedException extends RpcException
{
}
