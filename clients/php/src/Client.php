<?php

declare(strict_types=1);

namespace Zenith;

use Google\Protobuf\Duration;
use Google\Protobuf\Internal\Message;
use Google\Protobuf\Timestamp;
use Zenith\Exception\InvalidArgumentException;
use Zenith\Exception\PayloadTooLargeException;
use Zenith\Exception\RpcException;
use Zenith\Transport\GrpcWebTransport;
use Zenith\V1\AckRequest;
use Zenith\V1\AckResponse;
use Zenith\V1\Backoff;
use Zenith\V1\BatchEnqueueRequest;
use Zenith\V1\BatchEnqueueResponse;
use Zenith\V1\BeatPayload;
use Zenith\V1\BeatRequest;
use Zenith\V1\BeatResponse;
use Zenith\V1\CancelJobRequest;
use Zenith\V1\CancelJobResponse;
use Zenith\V1\EnqueuedJob;
use Zenith\V1\EnqueueRequest;
use Zenith\V1\EnqueueResponse;
use Zenith\V1\ExtendLeaseRequest;
use Zenith\V1\ExtendLeaseResponse;
use Zenith\V1\FailRequest;
use Zenith\V1\FailResponse;
use Zenith\V1\GetJobRequest;
use Zenith\V1\GetJobResponse;
use Zenith\V1\GetNodeRequest;
use Zenith\V1\GetNodeResponse;
use Zenith\V1\GetQueueRequest;
use Zenith\V1\GetQueueResponse;
use Zenith\V1\Job;
use Zenith\V1\JobAck;
use Zenith\V1\JobSpec;
use Zenith\V1\ListNodesRequest;
use Zenith\V1\ListNodesResponse;
use Zenith\V1\LogRecord;
use Zenith\V1\Node;
use Zenith\V1\Queue;
use Zenith\V1\ReservedJob;
use Zenith\V1\ReserveRequest;
use Zenith\V1\ReserveResponse;
use Zenith\V1\SearchLogsRequest;
use Zenith\V1\SearchLogsResponse;
use Zenith\V1\TailLogsRequest;
use Zenith\V1\TailLogsResponse;
use Zenith\V1\WatchNodesRequest;
use Zenith\V1\WhoAmIRequest;
use Zenith\V1\WhoAmIResponse;
use Zenith\V1\WatchNodesResponse;
use Zenith\V1\WriteLogsRequest;
use Zenith\V1\WriteLogsResponse;

/**
 * A connection to a Zenith server over grpc-web: enqueue and inspect jobs, and the calls a
 * {@see Worker}, a {@see Pulse\PulseAgent} and a {@see Log\ZenithLogger} make.
 *
 * ```php
 * $client = new Zenith\Client('http://127.0.0.1:7700');
 * $job = $client->enqueue('emails', 'send_welcome', ['user_id' => 42])->getJob();
 * ```
 *
 * Every failed call throws {@see RpcException} carrying the gRPC status code; a missing or
 * refused API key throws its subclass {@see Exception\UnauthenticatedException}, a key whose
 * role does not allow the call {@see Exception\PermissionDeniedException}.
 */
final class Client
{
    public const DEFAULT_SERVER_URL = 'http://127.0.0.1:7700';
    public const SERVER_URL_ENV = 'ZENITH_SERVER';
    /** Where the API key comes from when the `api_key` option is not given. */
    public const API_KEY_ENV = 'ZENITH_API_KEY';
    /** The server's default --max-payload-bytes. */
    public const DEFAULT_MAX_PAYLOAD_BYTES = 1048576;

    private const OPTION_KEYS = [
        'id', 'priority', 'max_attempts', 'timeout_seconds', 'delay_seconds', 'run_at',
        'unique_key', 'unique_ttl_seconds', 'tags', 'headers', 'backoff_base_seconds',
        'backoff_max_seconds',
    ];

    private readonly GrpcWebTransport $transport;
    private readonly int $maxPayloadBytes;
    /** @var array<string, mixed> the options as given, the API key resolved */
    private readonly array $options;

    /**
     * @param string|null $url server URL; null: `$ZENITH_SERVER` or http://127.0.0.1:7700
     * @param array{
     *     api_key?: string|null,
     *     max_payload_bytes?: int,
     *     headers?: array<string, string>,
     *     timeout?: float,
     *     connect_timeout?: float,
     * } $options `api_key` (`zk_<id>_<secret>`) sent as `authorization: Bearer …` with every
     *     call; not given or null: `$ZENITH_API_KEY` when set, `''`: none;
     *     `max_payload_bytes` (default 1 MiB, the server's default limit): larger payloads
     *     and results are refused before sending; `headers` sent with every call (an
     *     `authorization` among them wins over `api_key`); `timeout` of a unary call and
     *     `connect_timeout`, in seconds.
     */
    public function __construct(?string $url = null, array $options = [])
    {
        $url ??= (getenv(self::SERVER_URL_ENV) ?: self::DEFAULT_SERVER_URL);
        if (!preg_match('#^https?://#', $url)) {
            throw new InvalidArgumentException("server URL must start with http:// or https://, got \"$url\"");
        }
        $options['api_key'] = trim((string) ($options['api_key'] ?? (getenv(self::API_KEY_ENV) ?: '')));
        $this->options = $options;
        $this->maxPayloadBytes = (int) ($options['max_payload_bytes'] ?? self::DEFAULT_MAX_PAYLOAD_BYTES);
        $this->transport = new GrpcWebTransport(
            $url,
            self::headersWithKey($options['headers'] ?? [], $options['api_key']),
            (float) ($options['connect_timeout'] ?? 5.0),
            (float) ($options['timeout'] ?? 30.0),
        );
    }

    /**
     * `$headers` with `authorization: Bearer <key>` added, unless the key is empty or the
     * headers carry an `authorization` of their own.
     *
     * @param array<string, string> $headers
     * @return array<string, string>
     */
    public static function headersWithKey(array $headers, string $apiKey): array
    {
        foreach (array_keys($headers) as $name) {
            if (strtolower((string) $name) === 'authorization') {
                return $headers;
            }
        }
        if ($apiKey !== '') {
            $headers['authorization'] = 'Bearer ' . $apiKey;
        }
        return $headers;
    }

    /**
     * A client like this one (URL, API key, every option) with connections of its own, e.g.
     * for a forked child process.
     */
    public function fresh(): self
    {
        return new self($this->url(), $this->options);
    }

    /** The API key this client sends (`''` for none). */
    public function apiKey(): string
    {
        return (string) $this->options['api_key'];
    }

    public function url(): string
    {
        return $this->transport->baseUrl();
    }

    public function maxPayloadBytes(): int
    {
        return $this->maxPayloadBytes;
    }

    public function transport(): GrpcWebTransport
    {
        return $this->transport;
    }

    // ---- Building jobs --------------------------------------------------------------------

    /**
     * Builds the spec of a job without sending it.
     *
     * @param mixed $payload null: no payload; a {@see Payload}: sent as is; anything else: JSON
     * @param array<string, mixed> $options `id`, `priority`, `max_attempts`, `timeout_seconds`,
     *     `delay_seconds`, `run_at` (DateTimeInterface), `unique_key`, `unique_ttl_seconds`,
     *     `tags` (list), `headers` (map), `backoff_base_seconds`, `backoff_max_seconds`
     */
    public static function buildJobSpec(string $queue, string $type, mixed $payload = null, array $options = []): JobSpec
    {
        $spec = new JobSpec();
        $spec->setQueue($queue);
        $spec->setType($type);
        if ($payload !== null) {
            $payload = $payload instanceof Payload ? $payload : Payload::json($payload);
            $spec->setPayload($payload->bytes);
            $spec->setContentType($payload->contentType);
        }
        foreach ($options as $key => $value) {
            if (!in_array($key, self::OPTION_KEYS, true)) {
                throw new InvalidArgumentException(sprintf('unknown enqueue option "%s"; known: %s', $key, implode(', ', self::OPTION_KEYS)));
            }
            if ($value === null) {
                continue;
            }
            match ($key) {
                'id' => $spec->setId((string) $value),
                'priority' => $spec->setPriority((int) $value),
                'max_attempts' => $spec->setMaxAttempts((int) $value),
                'timeout_seconds' => $spec->setTimeout(self::duration((float) $value)),
                'delay_seconds' => $spec->setDelay(self::duration((float) $value)),
                'run_at' => $spec->setRunAt(self::timestamp($value)),
                'unique_key' => $spec->setUniqueKey((string) $value),
                'unique_ttl_seconds' => $spec->setUniqueTtl(self::duration((float) $value)),
                'tags' => $spec->setTags(array_values(array_map('strval', (array) $value))),
                'headers' => $spec->setHeaders(array_map('strval', (array) $value)),
                'backoff_base_seconds' => $spec->setBackoff(($spec->getBackoff() ?? new Backoff())->setBase(self::duration((float) $value))),
                'backoff_max_seconds' => $spec->setBackoff(($spec->getBackoff() ?? new Backoff())->setMax(self::duration((float) $value))),
            };
        }
        return $spec;
    }

    /**
     * The `EnqueueRequest` {@see enqueue()} sends, built without sending.
     *
     * @param array<string, mixed> $options see {@see buildJobSpec()}
     */
    public static function buildEnqueueRequest(string $queue, string $type, mixed $payload = null, array $options = []): EnqueueRequest
    {
        return (new EnqueueRequest())->setJob(self::buildJobSpec($queue, $type, $payload, $options));
    }

    // ---- Queues and jobs ------------------------------------------------------------------

    /**
     * Adds one job; idempotent when `id` is set. Plain values are sent as JSON.
     *
     * @param array<string, mixed> $options see {@see buildJobSpec()}
     * @throws PayloadTooLargeException before sending, for a payload over the limit
     * @throws RpcException
     */
    public function enqueue(string $queue, string $type, mixed $payload = null, array $options = []): EnqueueResponse
    {
        return $this->enqueueSpec(self::buildJobSpec($queue, $type, $payload, $options));
    }

    /** Adds a job from a built spec. */
    public function enqueueSpec(JobSpec $spec): EnqueueResponse
    {
        $this->checkPayload($spec->getPayload());
        /** @var EnqueueResponse */
        return $this->transport->unary('zenith.v1.QueueService/Enqueue', (new EnqueueRequest())->setJob($spec), EnqueueResponse::class);
    }

    /**
     * Adds up to 1,000 jobs, all or nothing.
     *
     * @param list<JobSpec|array{0: string, 1: string, 2?: mixed, 3?: array<string, mixed>}> $jobs
     *     specs, or `[queue, type, payload, options]` lists
     * @return list<EnqueuedJob> in the order given
     */
    public function batchEnqueue(array $jobs): array
    {
        $specs = [];
        foreach ($jobs as $job) {
            $spec = $job instanceof JobSpec ? $job : self::buildJobSpec($job[0], $job[1], $job[2] ?? null, $job[3] ?? []);
            $this->checkPayload($spec->getPayload());
            $specs[] = $spec;
        }
        /** @var BatchEnqueueResponse $response */
        $response = $this->transport->unary('zenith.v1.QueueService/BatchEnqueue', (new BatchEnqueueRequest())->setJobs($specs), BatchEnqueueResponse::class);
        return iterator_to_array($response->getJobs(), false);
    }

    /** One job by id; NOT_FOUND ({@see RpcException}) when there is none. */
    public function getJob(string $id, string $queue = ''): Job
    {
        return $this->getJobWithLogs($id, $queue, false)->getJob();
    }

    /** The whole GetJob answer, optionally with the job's archived log lines. */
    public function getJobWithLogs(string $id, string $queue = '', bool $includeLogs = true): GetJobResponse
    {
        $request = (new GetJobRequest())->setId($id)->setQueue($queue)->setIncludeLogs($includeLogs);
        /** @var GetJobResponse */
        return $this->transport->unary('zenith.v1.QueueService/GetJob', $request, GetJobResponse::class);
    }

    public function getQueue(string $name): Queue
    {
        /** @var GetQueueResponse $response */
        $response = $this->transport->unary('zenith.v1.QueueService/GetQueue', (new GetQueueRequest())->setName($name), GetQueueResponse::class);
        return $response->getQueue();
    }

    /** Cancels a job; an active one's worker is asked to stop. */
    public function cancelJob(string $id, string $reason = ''): CancelJobResponse
    {
        /** @var CancelJobResponse */
        return $this->transport->unary('zenith.v1.QueueService/CancelJob', (new CancelJobRequest())->setId($id)->setReason($reason), CancelJobResponse::class);
    }

    // ---- Worker calls ---------------------------------------------------------------------

    /**
     * Reserves up to `$maxJobs` jobs, waiting up to `$waitSeconds` for one.
     *
     * @param list<string> $queues in priority order
     * @return list<ReservedJob>
     */
    public function reserve(array $queues, int $maxJobs = 1, float $waitSeconds = 0.0, float $leaseSeconds = 30.0, string $workerId = ''): array
    {
        $request = (new ReserveRequest())
            ->setQueues($queues)
            ->setMaxJobs($maxJobs)
            ->setWait(self::duration($waitSeconds))
            ->setLease(self::duration($leaseSeconds))
            ->setWorkerId($workerId);
        /** @var ReserveResponse $response */
        $response = $this->transport->unary('zenith.v1.WorkerService/Reserve', $request, ReserveResponse::class, $waitSeconds + 30.0);
        return iterator_to_array($response->getJobs(), false);
    }

    /**
     * Acks jobs. Results over the payload limit are refused before sending.
     *
     * @param list<JobAck> $acks
     */
    public function ack(array $acks): AckResponse
    {
        foreach ($acks as $ack) {
            $this->checkPayload($ack->getResult(), 'result');
        }
        /** @var AckResponse */
        return $this->transport->unary('zenith.v1.WorkerService/Ack', (new AckRequest())->setAcks($acks), AckResponse::class);
    }

    public function fail(FailRequest $request): FailResponse
    {
        /** @var FailResponse */
        return $this->transport->unary('zenith.v1.WorkerService/Fail', $request, FailResponse::class);
    }

    public function extendLease(string $queue, string $jobId, string $leaseToken, float $extensionSeconds = 30.0): ExtendLeaseResponse
    {
        $request = (new ExtendLeaseRequest())
            ->setQueue($queue)
            ->setJobId($jobId)
            ->setLeaseToken($leaseToken)
            ->setExtension(self::duration($extensionSeconds));
        /** @var ExtendLeaseResponse */
        return $this->transport->unary('zenith.v1.WorkerService/ExtendLease', $request, ExtendLeaseResponse::class);
    }

    // ---- Pulse ----------------------------------------------------------------------------

    public function beat(BeatPayload $beat, ?float $timeout = null): BeatResponse
    {
        /** @var BeatResponse */
        return $this->transport->unary('zenith.v1.PulseService/Beat', (new BeatRequest())->setBeat($beat), BeatResponse::class, $timeout);
    }

    public function listNodes(string $service = '', string $language = ''): ListNodesResponse
    {
        $request = (new ListNodesRequest())->setService($service)->setLanguage($language);
        /** @var ListNodesResponse */
        return $this->transport->unary('zenith.v1.PulseService/ListNodes', $request, ListNodesResponse::class);
    }

    public function getNode(string $nodeId): Node
    {
        /** @var GetNodeResponse $response */
        $response = $this->transport->unary('zenith.v1.PulseService/GetNode', (new GetNodeRequest())->setNodeId($nodeId), GetNodeResponse::class);
        return $response->getNode();
    }

    /**
     * Follows node changes (server streaming): the current nodes, then every change.
     *
     * @param callable(WatchNodesResponse): (bool|null) $onMessage return false to stop
     */
    public function watchNodes(WatchNodesRequest $request, callable $onMessage, ?float $timeout = null): void
    {
        $this->transport->serverStream('zenith.v1.PulseService/WatchNodes', $request, WatchNodesResponse::class, $onMessage, $timeout);
    }

    // ---- Logs -----------------------------------------------------------------------------

    /** @param list<LogRecord> $records 1 to 1,000 lines */
    public function writeLogs(array $records, ?float $timeout = null): WriteLogsResponse
    {
        /** @var WriteLogsResponse */
        return $this->transport->unary('zenith.v1.LogService/WriteLogs', (new WriteLogsRequest())->setRecords($records), WriteLogsResponse::class, $timeout);
    }

    public function searchLogs(SearchLogsRequest $request): SearchLogsResponse
    {
        /** @var SearchLogsResponse */
        return $this->transport->unary('zenith.v1.LogService/SearchLogs', $request, SearchLogsResponse::class);
    }

    /**
     * Follows log lines live (server streaming); `$onMessage` gets each batch as it arrives.
     *
     * @param callable(TailLogsResponse): (bool|null) $onMessage return false to stop
     * @param float|null $timeout seconds for the whole tail (DEADLINE_EXCEEDED when it passes)
     */
    public function tailLogs(TailLogsRequest $request, callable $onMessage, ?float $timeout = null): void
    {
        $this->transport->serverStream('zenith.v1.LogService/TailLogs', $request, TailLogsResponse::class, $onMessage, $timeout);
    }

    // ---- Identity -------------------------------------------------------------------------

    /**
     * Who the server takes this client for: its API key and role, or `open` when the server
     * has no keys (every caller is admin).
     */
    public function whoAmI(): WhoAmIResponse
    {
        /** @var WhoAmIResponse */
        return $this->transport->unary('zenith.v1.AdminService/WhoAmI', new WhoAmIRequest(), WhoAmIResponse::class);
    }

    /**
     * Calls any unary method of the API, e.g. `zenith.v1.QueueService/PauseQueue`.
     *
     * @template T of Message
     * @param class-string<T> $responseClass
     * @return T
     */
    public function call(string $method, Message $request, string $responseClass, ?float $timeout = null): Message
    {
        return $this->transport->unary($method, $request, $responseClass, $timeout);
    }

    // ---- Helpers --------------------------------------------------------------------------

    /** Refuses bytes over the limit, before anything is sent. */
    public function checkPayload(string $bytes, string $what = 'payload'): void
    {
        if (strlen($bytes) > $this->maxPayloadBytes) {
            throw new PayloadTooLargeException(strlen($bytes), $this->maxPayloadBytes, $what);
        }
    }

    public static function duration(float $seconds): Duration
    {
        $whole = (int) floor($seconds);
        $nanos = (int) round(($seconds - $whole) * 1e9);
        if ($nanos >= 1000000000) {
            $whole++;
            $nanos -= 1000000000;
        }
        return (new Duration())->setSeconds($whole)->setNanos($nanos);
    }

    public static function timestamp(\DateTimeInterface|float|null $at = null): Timestamp
    {
        if ($at instanceof \DateTimeInterface) {
            return (new Timestamp())->setSeconds($at->getTimestamp())->setNanos((int) $at->format('u') * 1000);
        }
        $at ??= microtime(true);
        $whole = (int) floor($at);
        return (new Timestamp())->setSeconds($whole)->setNanos(min(999999999, (int) round(($at - $whole) * 1e9)));
    }

    /** Seconds since the epoch of a timestamp. */
    public static function seconds(?Timestamp $at): float
    {
        return $at === null ? 0.0 : $at->getSeconds() + $at->getNanos() / 1e9;
    }
}
