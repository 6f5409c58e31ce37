<?php

declare(strict_types=1);

namespace Zenith\Pulse;

use Zenith\Client;
use Zenith\V1\BeatPayload;
use Zenith\V1\BeatResponse;

/**
 * Beats through `PulseService/Beat` over grpc-web.
 */
final class GrpcBeatSender implements BeatSender
{
    public function __construct(private readonly Client $client, private readonly float $timeout = 5.0)
    {
    }

    public function send(BeatPayload $beat): BeatResponse
    {
        return $this->client->beat($beat, $this->timeout);
    }

    public function fresh(): ?BeatSender
    {
        return new self($this->client->fresh(), $this->timeout);
    }

    public function name(): string
    {
        return 'grpc';
    }
}
