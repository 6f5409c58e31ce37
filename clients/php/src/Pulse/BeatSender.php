<?php

declare(strict_types=1);

namespace Zenith\Pulse;

use Zenith\V1\BeatPayload;
use Zenith\V1\BeatResponse;

/**
 * Carries beats to Zenith: over grpc-web ({@see GrpcBeatSender}) or straight into Redis
 * ({@see RedisBeatSender}).
 */
interface BeatSender
{
    /**
     * Sends one beat; returns the instructions for the node. Throws on failure.
     */
    public function send(BeatPayload $beat): BeatResponse;

    /**
     * A sender with connections of its own, for a forked child process; null when this one
     * cannot make one (then beats are sent from the process itself).
     */
    public function fresh(): ?BeatSender;

    /** `grpc` or `redis`, for messages. */
    public function name(): string;
}
