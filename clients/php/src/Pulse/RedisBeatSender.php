<?php

declare(strict_types=1);

namespace Zenith\Pulse;

use Zenith\Exception\ZenithException;
use Zenith\V1\BeatPayload;
use Zenith\V1\BeatResponse;
use Zenith\V1\NodeInstruction;
use Zenith\V1\NodeInstructionKind;

/**
 * Beats straight into Redis (PULSE.md, "Transport 2: plain Redis"), for processes that reach
 * Redis but not the server (a Laravel app, say): one pipelined round trip of
 *
 *     SET  <prefix>:pulse:beat:<node_id> <BeatPayload as proto3 JSON> EX <3 intervals>
 *     ZADD <prefix>:pulse:nodes <now ms> <node_id>
 *     GET  <prefix>:pulse:quiet:<node_id>
 *
 * The last answers whether an operator asked the node to take no new work; it comes back as a
 * QUIET instruction, like over gRPC.
 */
final class RedisBeatSender implements BeatSender
{
    private ?\Redis $redis;
    /** @var (\Closure(): \Redis)|null */
    private ?\Closure $connect;

    /**
     * @param \Redis|\Closure(): \Redis $redis a connection, or a function making one (which
     *     also lets a forked child beat with a connection of its own)
     */
    public function __construct(\Redis|\Closure $redis, private readonly string $prefix = 'zenith')
    {
        if ($redis instanceof \Redis) {
            $this->redis = $redis;
            $this->connect = null;
        } else {
            $this->redis = null;
            $this->connect = $redis;
        }
    }

    /** A sender connecting to Redis at host:port (database, password optional). */
    public static function connect(string $host = '127.0.0.1', int $port = 6379, ?string $password = null, int $database = 0, string $prefix = 'zenith'): self
    {
        return new self(static function () use ($host, $port, $password, $database): \Redis {
            $redis = new \Redis();
            $redis->connect($host, $port, 2.0);
            if ($password !== null) {
                $redis->auth($password);
            }
            if ($database !== 0) {
                $redis->select($database);
            }
            return $redis;
        }, $prefix);
    }

    /** Redis keys of a node, as PULSE.md names them. */
    public function beatKey(string $nodeId): string
    {
        return $this->prefix . ':pulse:beat:' . $nodeId;
    }

    public function registryKey(): string
    {
        return $this->prefix . ':pulse:nodes';
    }

    public function quietKey(string $nodeId): string
    {
        return $this->prefix . ':pulse:quiet:' . $nodeId;
    }

    public function send(BeatPayload $beat): BeatResponse
    {
        $nodeId = $beat->getIdentity()?->getNodeId() ?? '';
        if ($nodeId === '') {
            throw new ZenithException('a beat needs identity.node_id');
        }
        $interval = $beat->getInterval();
        $seconds = $interval === null ? 5.0 : $interval->getSeconds() + $interval->getNanos() / 1e9;
        if ($seconds <= 0) {
            $seconds = 5.0;
        }
        $ttl = (int) ceil(3 * $seconds);
        $json = $beat->serializeToJsonString();
        try {
            $redis = $this->redis ??= ($this->connect)();
            $answers = $redis->multi(\Redis::PIPELINE)
                ->set($this->beatKey($nodeId), $json, ['EX' => $ttl])
                ->zAdd($this->registryKey(), (int) floor(microtime(true) * 1000), $nodeId)
                ->get($this->quietKey($nodeId))
                ->exec();
        } catch (\RedisException $error) {
            // Reconnect on the next beat.
            $this->redis = $this->connect === null ? $this->redis : null;
            throw new ZenithException('redis beat failed: ' . $error->getMessage(), 0, $error);
        }
        if (!is_array($answers) || ($answers[0] ?? false) === false) {
            throw new ZenithException('redis refused the beat');
        }
        $response = new BeatResponse();
        if (($answers[2] ?? false) === '1') {
            $response->setInstructions([(new NodeInstruction())->setKind(NodeInstructionKind::NODE_INSTRUCTION_KIND_QUIET)]);
        }
        return $response;
    }

    public function fresh(): ?BeatSender
    {
        return $this->connect === null ? null : new self($this->connect, $this->prefix);
    }

    public function name(): string
    {
        return 'redis';
    }
}
