<?php

declare(strict_types=1);

namespace Zenith\Exception;

/**
 * `PERMISSION_DENIED`: the API key is valid but its role or queues do not allow the call.
 */
final class PermissionDeniedException extends RpcException
{
}
