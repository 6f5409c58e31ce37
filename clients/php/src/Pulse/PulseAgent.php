<?php

declare(strict_types=1);

namespace Zenith\Pulse;

use Psr\Log\LoggerInterface;
use Zenith\Client;
use Zenith\Log\StderrLogger;
use Zenith\V1\BeatPayload;
use Zenith\V1\BeatResponse;
use Zenith\V1\CurrentJob;
use Zenith\V1\ExternalQueue;
use Zenith\V1\NodeIdentity;
use Zenith\V1\NodeInstructionKind;

/**
 * Reports this process's beats (identity, CPU, memory, disk, running jobs with their lease
 * tokens, which keeps those leases alive) and carries out the instructions that come back.
 *
 * PHP runs one thing at a time, so where `pcntl_fork` exists {@see start()} forks a small child
 * that beats every interval on the process's behalf, also while a handler runs for minutes; the
 * process tells it which jobs run and hears back cancellations and quiet requests. Without pcntl
 * the agent beats from the process itself, whenever {@see tick()} is called past the interval.
 *
 * ```php
 * $agent = PulseAgent::grpc($client, 'billing-api');          // or PulseAgent::redis(...)
 * $agent->start();
 * // … work, calling $agent->tick() now and then …
 * $agent->stop();
 * ```
 *
 * A failing beat never throws into the caller: it is logged and retried on the next interval.
 */
final class PulseAgent
{
    public const DEFAULT_INTERVAL = 5.0;
    private const MAX_LISTED = 1000;

    private readonly LoggerInterface $logger;
    private readonly float $startedAt;
    private readonly Stats $stats;
    private readonly float $interval;
    /** @var array<string, array{queue: string, token: string, started: float}> */
    private array $jobs = [];
    /** @var array<string, string> job id => reason, for jobs an operator cancelled */
    private array $cancelled = [];
    /** @var list<string> */
    private array $queues;
    /** @var list<ExternalQueue> */
    private array $externalQueues = [];
    private bool $quiet = false;
    private bool $quietRequested = false;
    private float $nextBeat = 0.0;
    private int $failures = 0;
    private bool $beating = false;
    private ?int $childPid = null;
    /** @var resource|null */
    private $socket = null;
    private string $inbox = '';
    private ?BeatResponse $lastResponse = null;

    /**
     * @param list<string> $queues the Zenith queues the process takes work from, for display
     */
    public function __construct(
        private readonly BeatSender $sender,
        private readonly NodeIdentity $identity,
        float $interval = self::DEFAULT_INTERVAL,
        array $queues = [],
        ?LoggerInterface $logger = null,
        private readonly bool $background = true,
    ) {
        $this->interval = max(1.0, min(300.0, $interval));
        $this->queues = array_values($queues);
        $this->logger = $logger ?? new StderrLogger();
        $this->startedAt = microtime(true);
        $this->stats = new Stats((int) $identity->getPid() ?: (getmypid() ?: 0), getcwd() ?: '.');
    }

    /** An agent beating over grpc-web, identity detected for `$service`. */
    public static function grpc(Client $client, string $service = '', float $interval = self::DEFAULT_INTERVAL, ?LoggerInterface $logger = null, ?NodeIdentity $identity = null): self
    {
        return new self(new GrpcBeatSender($client, min(5.0, $interval)), $identity ?? Identity::detect($service), $interval, [], $logger);
    }

    /**
     * An agent beating straight into Redis with php-redis ("if you can connect to Redis, you are
     * monitored"): pass a \Redis connection, or a function making one so a forked child can beat
     * in the background with a connection of its own.
     *
     * @param \Redis|\Closure(): \Redis $redis
     */
    public static function redis(\Redis|\Closure $redis, string $service = '', float $interval = self::DEFAULT_INTERVAL, string $prefix = 'zenith', ?LoggerInterface $logger = null, ?NodeIdentity $identity = null): self
    {
        return new self(new RedisBeatSender($redis, $prefix), $identity ?? Identity::detect($service), $interval, [], $logger);
    }

    public function identity(): NodeIdentity
    {
        return $this->identity;
    }

    public function nodeId(): string
    {
        return $this->identity->getNodeId();
    }

    public function interval(): float
    {
        return $this->interval;
    }

    /** True while a forked child beats for this process. */
    public function inBackground(): bool
    {
        return $this->childPid !== null;
    }

    /** The answer to the last beat sent from this process (not from the child). */
    public function lastResponse(): ?BeatResponse
    {
        return $this->lastResponse;
    }

    /** @param list<string> $queues */
    public function setQueues(array $queues): void
    {
        $this->queues = array_values($queues);
        $this->changed();
    }

    /**
     * Queues of other systems (Laravel, BullMQ, …) to report; at most 1,000 are sent.
     *
     * @param list<ExternalQueue> $queues
     */
    public function setExternalQueues(array $queues): void
    {
        $this->externalQueues = array_values($queues);
        $this->changed();
    }

    /** Lists a job as running here; with its lease token, each beat extends its lease. */
    public function trackJob(string $queue, string $jobId, string $leaseToken): void
    {
        $this->jobs[$jobId] = ['queue' => $queue, 'token' => $leaseToken, 'started' => microtime(true)];
        $this->changed();
    }

    public function untrackJob(string $jobId): void
    {
        unset($this->jobs[$jobId], $this->cancelled[$jobId]);
        $this->changed();
    }

    /** The operator's reason when a beat's answer cancelled the job (maybe ''), else null. */
    public function cancelRequested(string $jobId): ?string
    {
        $this->poll();
        return $this->cancelled[$jobId] ?? null;
    }

    /** An operator asked this node to take no new work (QuietNode). */
    public function quietRequested(): bool
    {
        $this->poll();
        return $this->quietRequested;
    }

    /** Marks the node as taking no new work (shutting down); the next beats say so. */
    public function setQuiet(bool $quiet): void
    {
        if ($this->quiet !== $quiet) {
            $this->quiet = $quiet;
            $this->changed();
        }
    }

    /**
     * Starts beating: the first beat is sent now, from this process; then a forked child beats
     * every interval (when pcntl is there and the sender can open its own connection), or
     * {@see tick()} beats when called past the interval.
     */
    public function start(): void
    {
        $this->beatNow();
        if (!$this->background || $this->childPid !== null || !function_exists('pcntl_fork') || !function_exists('stream_socket_pair')) {
            return;
        }
        $fresh = $this->sender->fresh();
        if ($fresh === null) {
            return;
        }
        $pair = @stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        if ($pair === false) {
            return;
        }
        $parentPid = getmypid();
        $pid = pcntl_fork();
        if ($pid === -1) {
            fclose($pair[0]);
            fclose($pair[1]);
            $this->logger->warning('zenith pulse: cannot fork a beating process; beating between jobs only');
            return;
        }
        if ($pid === 0) {
            fclose($pair[0]);
            $this->runChild($pair[1], $fresh, (int) $parentPid);
        }
        fclose($pair[1]);
        // The child carries on counting (and reporting) failed beats.
        $this->failures = 0;
        stream_set_blocking($pair[0], false);
        $this->socket = $pair[0];
        $this->childPid = $pid;
        $this->changed();
    }

    /**
     * Beats when the interval has passed (without a child), and reads what the child heard.
     * Cheap; call it between jobs or from long loops.
     */
    public function tick(): void
    {
        if ($this->childPid !== null) {
            $this->poll();
            return;
        }
        if (microtime(true) >= $this->nextBeat) {
            $this->beatNow();
        }
    }

    /**
     * Sends one beat from this process now; returns its answer, or null when it failed (logged).
     */
    public function beatNow(): ?BeatResponse
    {
        if ($this->beating) {
            return null;
        }
        $this->beating = true;
        try {
            $response = $this->sendBeat($this->sender, $this->buildBeat());
            if ($response !== null) {
                $this->lastResponse = $response;
                $this->apply($response);
            }
            return $response;
        } finally {
            $this->nextBeat = microtime(true) + $this->interval;
            $this->beating = false;
        }
    }

    /**
     * Stops the child, then sends a last beat (quiet when `$quiet`) from this process.
     */
    public function stop(bool $quiet = true): void
    {
        $this->stopChild();
        if ($quiet) {
            $this->quiet = true;
        }
        $this->beatNow();
    }

    /** The beat as it would be sent now. */
    public function buildBeat(): BeatPayload
    {
        $beat = $this->beatFrom($this->snapshot());
        $beat->setProcess($this->stats->process());
        $beat->setSystem($this->stats->system());
        return $beat;
    }

    public function __destruct()
    {
        $this->stopChild();
    }

    // ---- internals ------------------------------------------------------------------------

    /** @return array<string, mixed> what the child needs to build beats */
    private function snapshot(): array
    {
        return [
            'jobs' => $this->jobs,
            'queues' => $this->queues,
            'external' => array_map(static fn (ExternalQueue $q): string => $q->serializeToString(), $this->externalQueues),
            'quiet' => $this->quiet || $this->quietRequested,
        ];
    }

    /** @param array<string, mixed> $state */
    private function beatFrom(array $state): BeatPayload
    {
        $now = microtime(true);
        $jobs = [];
        foreach (array_slice($state['jobs'], 0, self::MAX_LISTED, true) as $jobId => $job) {
            $jobs[] = (new CurrentJob())
                ->setQueue($job['queue'])
                ->setJobId((string) $jobId)
                ->setLeaseToken($job['token'])
                ->setStartedAt(Client::timestamp($job['started']));
        }
        $external = [];
        foreach (array_slice($state['external'], 0, self::MAX_LISTED) as $bytes) {
            $queue = new ExternalQueue();
            $queue->mergeFromString($bytes);
            $external[] = $queue;
        }
        return (new BeatPayload())
            ->setIdentity($this->identity)
            ->setSentAt(Client::timestamp($now))
            ->setInterval(Client::duration($this->interval))
            ->setUptime(Client::duration(floor($now - $this->startedAt)))
            ->setJobs($jobs)
            ->setExternalQueues($external)
            ->setQueues($state['queues'])
            ->setQuiet((bool) $state['quiet']);
    }

    private function sendBeat(BeatSender $sender, BeatPayload $beat): ?BeatResponse
    {
        try {
            $response = $sender->send($beat);
        } catch (\Throwable $error) {
            $this->failures++;
            if ($this->failures === 1 || $this->failures % 12 === 0) {
                $this->logger->warning('zenith pulse: beat over {transport} failed ({failures} in a row), retrying every {interval}s: {error}', [
                    'transport' => $sender->name(),
                    'failures' => $this->failures,
                    'interval' => $this->interval,
                    'error' => $error->getMessage(),
                ]);
            }
            return null;
        }
        if ($this->failures > 0) {
            $this->logger->info('zenith pulse: beats go through again after {failures} failures', ['failures' => $this->failures]);
            $this->failures = 0;
        }
        return $response;
    }

    private function apply(BeatResponse $response): void
    {
        $quiet = false;
        foreach ($response->getInstructions() as $instruction) {
            switch ($instruction->getKind()) {
                case NodeInstructionKind::NODE_INSTRUCTION_KIND_CANCEL_JOB:
                    if (isset($this->jobs[$instruction->getJobId()])) {
                        $this->cancelled[$instruction->getJobId()] = $instruction->getReason();
                    }
                    break;
                case NodeInstructionKind::NODE_INSTRUCTION_KIND_QUIET:
                    $quiet = true;
                    break;
                default:
                    break; // RESUME, and kinds this version does not know
            }
        }
        // The server repeats QUIET on every beat while the request stands.
        $this->quietRequested = $quiet;
    }

    /** Tells the child what changed. */
    private function changed(): void
    {
        if ($this->socket === null) {
            return;
        }
        $line = base64_encode(serialize($this->snapshot())) . "\n";
        if (@fwrite($this->socket, $line) === false) {
            $this->logger->warning('zenith pulse: the beating process is gone; beating between jobs only');
            $this->stopChild();
        }
    }

    /** Reads the instructions the child relayed. */
    private function poll(): void
    {
        if ($this->socket === null) {
            return;
        }
        while (($chunk = @fread($this->socket, 65536)) !== false && $chunk !== '') {
            $this->inbox .= $chunk;
        }
        if (feof($this->socket)) {
            $this->logger->warning('zenith pulse: the beating process exited; beating between jobs only');
            $this->stopChild();
        }
        while (($end = strpos($this->inbox, "\n")) !== false) {
            $line = substr($this->inbox, 0, $end);
            $this->inbox = substr($this->inbox, $end + 1);
            $response = new BeatResponse();
            try {
                $response->mergeFromString((string) base64_decode($line));
            } catch (\Exception) {
                continue;
            }
            $this->apply($response);
        }
    }

    private function stopChild(): void
    {
        if ($this->socket !== null) {
            @fclose($this->socket);
            $this->socket = null;
        }
        if ($this->childPid === null) {
            return;
        }
        $pid = $this->childPid;
        $this->childPid = null;
        $deadline = microtime(true) + 1.0;
        while (pcntl_waitpid($pid, $status, WNOHANG) === 0) {
            if (microtime(true) > $deadline) {
                posix_kill($pid, SIGKILL);
                pcntl_waitpid($pid, $status);
                break;
            }
            usleep(10000);
        }
        $this->nextBeat = 0.0;
    }

    /**
     * The forked child: beats every interval with the latest state the parent sent, relays each
     * answer, and ends when the parent closes the socket or dies. Never returns.
     *
     * @param resource $socket
     */
    private function runChild($socket, BeatSender $sender, int $parentPid): never
    {
        if (function_exists('pcntl_signal')) {
            pcntl_signal(SIGTERM, SIG_DFL);
            pcntl_signal(SIGINT, SIG_IGN);
        }
        if (function_exists('cli_set_process_title')) {
            @cli_set_process_title('zenith-pulse ' . $this->identity->getNodeId());
        }
        stream_set_blocking($socket, false);
        $state = $this->snapshot();
        $buffer = '';
        $next = microtime(true) + $this->interval;
        while (true) {
            $wait = max(0.0, $next - microtime(true));
            $read = [$socket];
            $write = $except = null;
            $ready = @stream_select($read, $write, $except, (int) $wait, (int) (($wait - floor($wait)) * 1e6));
            if ($ready > 0) {
                $chunk = @fread($socket, 65536);
                if ($chunk === false || ($chunk === '' && feof($socket))) {
                    break;
                }
                $buffer .= $chunk;
                while (($end = strpos($buffer, "\n")) !== false) {
                    $decoded = @unserialize((string) base64_decode(substr($buffer, 0, $end)), ['allowed_classes' => false]);
                    $buffer = substr($buffer, $end + 1);
                    if (is_array($decoded)) {
                        $state = $decoded;
                    }
                }
            }
            if (function_exists('posix_getppid') && posix_getppid() !== $parentPid) {
                break;
            }
            if (microtime(true) >= $next) {
                $beat = $this->beatFrom($state);
                $beat->setProcess($this->stats->process());
                $beat->setSystem($this->stats->system());
                $response = $this->sendBeat($sender, $beat);
                if ($response !== null) {
                    @fwrite($socket, base64_encode($response->serializeToString()) . "\n");
                }
                $next = microtime(true) + $this->interval;
            }
        }
        // Leave without running the parent's shutdown functions and destructors.
        posix_kill((int) getmypid(), SIGKILL);
        exit(0);
    }
}
