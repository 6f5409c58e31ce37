<?php

declare(strict_types=1);

namespace Zenith;

use Psr\Log\LoggerInterface;
use Zenith\Exception\InvalidArgumentException;
use Zenith\Exception\RpcException;
use Zenith\Log\StderrLogger;
use Zenith\Log\ZenithLogger;
use Zenith\Pulse\Identity;
use Zenith\Pulse\PulseAgent;
use Zenith\V1\FailRequest;
use Zenith\V1\JobAck;
use Zenith\V1\JobState;
use Zenith\V1\ReservedJob;

/**
 * Reserves jobs in batches, runs each with its handler (one at a time), and acks or fails it.
 *
 * ```php
 * $worker = new Zenith\Worker($client, ['emails'], ['service' => 'mailer']);
 * $worker->handle('send_welcome', function (Zenith\JobContext $job): array {
 *     $user = $job->json();
 *     // … send it …
 *     return ['sent' => true];          // kept with the job as its result (JSON)
 * });
 * $worker->run();                        // until SIGTERM/SIGINT or $worker->stop()
 * ```
 *
 * - A handler's return value is the job's result: null for none, a string as raw bytes,
 *   anything else as JSON. An exception fails the attempt with its class, message and stack
 *   trace (retried with backoff; {@see JobFailure::permanent()} sends it to dead). A job type
 *   without a handler (and no fallback) fails without retry. Either way the worker goes on.
 * - Leases: the pulse agent's beats list the running job with its lease token, which keeps the
 *   lease alive; where pcntl can fork, a child process beats every interval even while a
 *   handler blocks. Before a job starts its lease is extended when half of it is gone, and
 *   {@see JobContext::heartbeat()} extends it from long handlers (also without pcntl).
 * - Cancellation by an operator (seen in a beat's answer or an ExtendLease answer) makes
 *   `heartbeat()` return false; the attempt is then failed, which ends the job cancelled.
 * - SIGTERM/SIGINT (with pcntl): no new reserve; the jobs already reserved are finished and
 *   acked, the node beats `quiet`, and {@see run()} returns.
 * - An unreachable server is retried with backoff (logged), the worker keeps running.
 */
final class Worker
{
    private const MAX_ERROR_BYTES = 65536;
    private const MAX_STACK_TRACE_BYTES = 262144;

    /** @var array<string, callable(JobContext): mixed> */
    private array $handlers = [];
    /** @var (callable(JobContext): mixed)|null */
    private $fallback = null;
    private bool $stopping = false;
    private readonly LoggerInterface $logger;
    private ?PulseAgent $agent = null;
    /** @var list<JobAck> */
    private array $pendingAcks = [];
    private float $firstPendingAck = 0.0;
    private int $done = 0;
    /** @var array<string, mixed> */
    private array $options;

    /**
     * @param list<string> $queues in priority order
     * @param array{
     *     batch_size?: int, lease_seconds?: float, poll_wait_seconds?: float, worker_id?: string,
     *     max_jobs?: int|null, pulse?: bool, service?: string, pulse_interval?: float,
     *     pulse_agent?: PulseAgent, logger?: LoggerInterface, job_logger?: ZenithLogger,
     *     handle_signals?: bool,
     * } $options
     *     `batch_size` jobs per reserve (default 5); `lease_seconds` (30); `poll_wait_seconds` how
     *     long a reserve waits on the server (2, which bounds how long a stop takes when idle);
     *     `worker_id` shown by the server (`php-<pid>`); `max_jobs` stop after this many;
     *     `pulse` (true), `service` and `pulse_interval` (5 s) of the beats, or a ready
     *     `pulse_agent`; `logger` for the worker's own messages (stderr); `job_logger`, a
     *     {@see ZenithLogger} tagged with each job while its handler runs; `handle_signals`
     *     (true): stop gracefully on SIGTERM and SIGINT.
     */
    public function __construct(private readonly Client $client, private readonly array $queues, array $options = [])
    {
        if ($queues === []) {
            throw new InvalidArgumentException('worker needs at least one queue');
        }
        $this->options = $options + [
            'batch_size' => 5,
            'lease_seconds' => 30.0,
            'poll_wait_seconds' => 2.0,
            'worker_id' => 'php-' . getmypid(),
            'max_jobs' => null,
            'pulse' => true,
            'service' => '',
            'pulse_interval' => PulseAgent::DEFAULT_INTERVAL,
            'pulse_agent' => null,
            'logger' => null,
            'job_logger' => null,
            'handle_signals' => true,
        ];
        $lease = (float) $this->options['lease_seconds'];
        if ($lease < 1 || $lease > 3600) {
            throw new InvalidArgumentException('lease_seconds must be from 1 to 3600');
        }
        if ((int) $this->options['batch_size'] < 1 || (int) $this->options['batch_size'] > 1000) {
            throw new InvalidArgumentException('batch_size must be from 1 to 1000');
        }
        $this->logger = $this->options['logger'] ?? new StderrLogger();
        if ($this->options['pulse_agent'] instanceof PulseAgent) {
            $this->agent = $this->options['pulse_agent'];
        } elseif ($this->options['pulse']) {
            $this->agent = PulseAgent::grpc(
                $client,
                (string) $this->options['service'],
                (float) $this->options['pulse_interval'],
                $this->logger,
            );
        }
        $this->agent?->setQueues($queues);
    }

    /**
     * Runs `$handler` for jobs of `$type`.
     *
     * @param callable(JobContext): mixed $handler
     */
    public function handle(string $type, callable $handler): self
    {
        $this->handlers[$type] = $handler;
        return $this;
    }

    /**
     * Runs `$handler` for jobs of any type without a handler of its own.
     *
     * @param callable(JobContext): mixed $handler
     */
    public function fallback(callable $handler): self
    {
        $this->fallback = $handler;
        return $this;
    }

    public function pulse(): ?PulseAgent
    {
        return $this->agent;
    }

    /** The node id of the worker's beats, or null without pulse. */
    public function nodeId(): ?string
    {
        return $this->agent?->nodeId();
    }

    /** Asks the loop to stop after the jobs in hand; safe from a signal handler. */
    public function stop(): void
    {
        $this->stopping = true;
        $this->agent?->setQuiet(true);
    }

    /** How many jobs this worker finished (acked or failed). */
    public function processed(): int
    {
        return $this->done;
    }

    /**
     * Runs until {@see stop()}, SIGTERM/SIGINT or `max_jobs`; throws only when the server refuses
     * the worker for good (bad queue name, no permission).
     */
    public function run(): void
    {
        if ($this->handlers === [] && $this->fallback === null) {
            throw new InvalidArgumentException('worker needs a handler or a fallback');
        }
        $restore = $this->installSignals();
        $this->agent?->start();
        $this->logger->info('zenith worker started on {server}: queues {queues}, node {node}', [
            'server' => $this->client->url(),
            'queues' => implode(',', $this->queues),
            'node' => $this->nodeId() ?? '-',
        ]);
        $backoff = new Backoff(0.2, 10.0);
        $unreachable = 0;
        try {
            while (!$this->stopping && !$this->reachedMax()) {
                $this->agent?->tick();
                if ($this->agent?->quietRequested()) {
                    $this->sleep(1.0);
                    continue;
                }
                $wanted = (int) $this->options['batch_size'];
                if ($this->options['max_jobs'] !== null) {
                    $wanted = min($wanted, (int) $this->options['max_jobs'] - $this->done);
                }
                try {
                    $reserved = $this->client->reserve(
                        $this->queues,
                        $wanted,
                        (float) $this->options['poll_wait_seconds'],
                        (float) $this->options['lease_seconds'],
                        (string) $this->options['worker_id'],
                    );
                } catch (RpcException $error) {
                    if (!$error->isTransient()) {
                        $this->logger->error('zenith worker: reserve refused; stopping: {error}', ['error' => $error->getMessage()]);
                        throw $error;
                    }
                    $delay = $backoff->next();
                    $unreachable++;
                    $this->logger->warning('zenith worker: server unreachable (attempt {count}), retrying in {delay}s: {error}', [
                        'count' => $unreachable,
                        'delay' => round($delay, 2),
                        'error' => $error->getMessage(),
                    ]);
                    $this->sleep($delay);
                    continue;
                }
                if ($unreachable > 0) {
                    $this->logger->info('zenith worker: server reachable again');
                    $unreachable = 0;
                }
                $backoff->reset();
                // Every reserved job is in hand: listed in beats (which keep its lease) until done.
                foreach ($reserved as $item) {
                    $this->agent?->trackJob($item->getJob()->getQueue(), $item->getJob()->getId(), $item->getLeaseToken());
                }
                foreach ($reserved as $item) {
                    $this->runJob($item);
                }
                $this->flushAcks();
                $this->options['job_logger']?->flush();
            }
        } finally {
            $this->flushAcks();
            $this->options['job_logger']?->flush();
            $this->agent?->stop(true);
            $restore();
            $this->logger->info('zenith worker stopped after {count} jobs', ['count' => $this->done]);
        }
    }

    private function reachedMax(): bool
    {
        return $this->options['max_jobs'] !== null && $this->done >= (int) $this->options['max_jobs'];
    }

    private function runJob(ReservedJob $reserved): void
    {
        $job = $reserved->getJob();
        $token = $reserved->getLeaseToken();
        $lease = (float) $this->options['lease_seconds'];
        try {
            $handler = $this->handlers[$job->getType()] ?? $this->fallback;
            if ($handler === null) {
                $this->reportFailure($reserved, sprintf('no handler for job type "%s"', $job->getType()), '', false);
                return;
            }
            // Extend before starting when half the lease is gone (the job waited in the batch).
            $run = new JobRun(Client::seconds($reserved->getLeaseDeadline()) ?: microtime(true) + $lease, $lease);
            if ($run->leaseUntil - microtime(true) < $lease / 2) {
                $run->nextExtend = 0.0;
            }
            $heartbeat = fn (): bool => $this->heartbeat($reserved, $run);
            if (!$heartbeat()) {
                if ($run->lost) {
                    return;
                }
                $this->reportFailure($reserved, self::cancelMessage($run->cancelReason), '', true);
                return;
            }
            $context = new JobContext($job, $token, $heartbeat);
            $this->options['job_logger']?->setJob($job->getQueue(), $job->getId());
            try {
                $returned = $handler($context);
            } catch (\Throwable $error) {
                $retryable = !($error instanceof JobFailure) || $error->isRetryable();
                $message = $error instanceof JobFailure ? $error->getMessage() : get_class($error) . ': ' . $error->getMessage();
                $this->agent?->tick();
                if ($run->cancelReason === null && ($reason = $this->agent?->cancelRequested($job->getId())) !== null) {
                    $run->cancelReason = $reason;
                }
                if ($run->cancelReason !== null) {
                    $message = self::cancelMessage($run->cancelReason) . ' (' . $message . ')';
                }
                $this->reportFailure($reserved, $message, (string) $error, $retryable);
                return;
            } finally {
                $this->options['job_logger']?->setJob('', '');
            }
            if ($run->lost) {
                $this->logger->warning('zenith worker: lease of job {id} was lost while it ran; not acked', ['id' => $job->getId()]);
                return;
            }
            if ($run->cancelReason === null && $this->agent !== null) {
                $run->cancelReason = $this->agent->cancelRequested($job->getId());
            }
            if ($run->cancelReason !== null) {
                // Whatever a cancelled handler returns is not acked: failing ends the job cancelled.
                $this->reportFailure($reserved, self::cancelMessage($run->cancelReason), '', true);
                return;
            }
            $result = $context->result();
            if ($returned !== null) {
                $result = is_string($returned) ? $returned : Payload::json($returned)->bytes;
            }
            $result ??= '';
            if (strlen($result) > $this->client->maxPayloadBytes()) {
                $this->reportFailure($reserved, sprintf('result is %d bytes, over the limit of %d bytes', strlen($result), $this->client->maxPayloadBytes()), '', false);
                return;
            }
            $this->queueAck((new JobAck())->setQueue($job->getQueue())->setJobId($job->getId())->setLeaseToken($token)->setResult($result));
        } finally {
            $this->done++;
            $this->agent?->untrackJob($job->getId());
        }
    }

    /** Keeps the lease and reads cancellations; false when the job should stop. */
    private function heartbeat(ReservedJob $reserved, JobRun $run): bool
    {
        if ($run->lost || $run->cancelReason !== null) {
            return false;
        }
        $job = $reserved->getJob();
        if ($this->agent !== null) {
            $this->agent->tick();
            $reason = $this->agent->cancelRequested($job->getId());
            if ($reason !== null) {
                $run->cancelReason = $reason;
                return false;
            }
        }
        $now = microtime(true);
        if ($now < $run->nextExtend || $run->capped) {
            return true;
        }
        try {
            $response = $this->client->extendLease($job->getQueue(), $job->getId(), $reserved->getLeaseToken(), $run->lease);
        } catch (RpcException $error) {
            if (in_array($error->getCode(), [Status::FAILED_PRECONDITION, Status::NOT_FOUND], true)) {
                $run->lost = true;
                $this->logger->warning('zenith worker: lease of job {id} lost: {error}', ['id' => $job->getId(), 'error' => $error->getMessage()]);
                return false;
            }
            $this->logger->warning('zenith worker: extending the lease of job {id} failed; retrying: {error}', ['id' => $job->getId(), 'error' => $error->getMessage()]);
            $run->nextExtend = $now + 1.0;
            return true;
        }
        if ($response->getCancelRequested()) {
            $run->cancelReason = $response->getCancelReason();
            return false;
        }
        $run->leaseUntil = Client::seconds($response->getLeaseDeadline()) ?: $now + $run->lease;
        $run->capped = $response->getCapped();
        $run->nextExtend = $now + $run->lease / 3;
        return true;
    }

    private static function cancelMessage(?string $reason): string
    {
        return $reason === null || $reason === '' ? 'cancelled by an operator' : 'cancelled by an operator: ' . $reason;
    }

    private function queueAck(JobAck $ack): void
    {
        if ($this->pendingAcks === []) {
            $this->firstPendingAck = microtime(true);
        }
        $this->pendingAcks[] = $ack;
        if (count($this->pendingAcks) >= 100 || microtime(true) - $this->firstPendingAck > 0.05) {
            $this->flushAcks();
        }
    }

    /** Sends the waiting acks in one call, retrying while the server is unreachable. */
    private function flushAcks(): void
    {
        if ($this->pendingAcks === []) {
            return;
        }
        $acks = $this->pendingAcks;
        $this->pendingAcks = [];
        $backoff = new Backoff(0.1, 5.0);
        for ($try = 1; $try <= 10; $try++) {
            try {
                $this->client->ack($acks);
                return;
            } catch (RpcException $error) {
                if ($error->getCode() === Status::FAILED_PRECONDITION) {
                    $this->logger->warning('zenith worker: some acks had stale leases (those jobs were redelivered): {error}', ['error' => $error->getMessage()]);
                    return;
                }
                if (!$error->isTransient()) {
                    $this->logger->error('zenith worker: ack refused: {error}', ['error' => $error->getMessage()]);
                    return;
                }
                $delay = $backoff->next();
                $this->logger->warning('zenith worker: ack failed, retrying in {delay}s: {error}', ['delay' => round($delay, 2), 'error' => $error->getMessage()]);
                $this->sleep($delay, false);
            }
        }
        $this->logger->error('zenith worker: giving up acking {count} jobs; their leases will expire', ['count' => count($acks)]);
    }

    /** Reports a failed attempt, retrying while the server is unreachable. */
    private function reportFailure(ReservedJob $reserved, string $message, string $stackTrace, bool $retryable): void
    {
        $job = $reserved->getJob();
        $request = (new FailRequest())
            ->setQueue($job->getQueue())
            ->setJobId($job->getId())
            ->setLeaseToken($reserved->getLeaseToken())
            ->setError(mb_strcut($message, 0, self::MAX_ERROR_BYTES, 'UTF-8'))
            ->setStackTrace(mb_strcut($stackTrace, 0, self::MAX_STACK_TRACE_BYTES, 'UTF-8'));
        if (!$retryable) {
            $request->setRetryable(false);
        }
        $this->flushAcks();
        $backoff = new Backoff(0.1, 5.0);
        for ($try = 1; $try <= 10; $try++) {
            try {
                $response = $this->client->fail($request);
                $this->logger->info('zenith worker: job {id} failed ({state}): {error}', [
                    'id' => $job->getId(),
                    'state' => strtolower(substr(JobState::name($response->getState()), strlen('JOB_STATE_'))),
                    'error' => $message,
                ]);
                return;
            } catch (RpcException $error) {
                if ($error->getCode() === Status::FAILED_PRECONDITION) {
                    $this->logger->warning('zenith worker: stale lease on fail of job {id}; it was redelivered', ['id' => $job->getId()]);
                    return;
                }
                if (!$error->isTransient()) {
                    $this->logger->error('zenith worker: fail of job {id} refused: {error}', ['id' => $job->getId(), 'error' => $error->getMessage()]);
                    return;
                }
                $delay = $backoff->next();
                $this->logger->warning('zenith worker: fail call failed, retrying in {delay}s: {error}', ['delay' => round($delay, 2), 'error' => $error->getMessage()]);
                $this->sleep($delay, false);
            }
        }
        $this->logger->error('zenith worker: giving up reporting the failure of job {id}; the lease will expire', ['id' => $job->getId()]);
    }

    /** Sleeps in small steps, beating when due; returns early on stop unless told not to. */
    private function sleep(float $seconds, bool $interruptible = true): void
    {
        $until = microtime(true) + $seconds;
        while (($left = $until - microtime(true)) > 0) {
            if ($interruptible && $this->stopping) {
                return;
            }
            usleep((int) (min($left, 0.1) * 1e6));
            $this->agent?->tick();
        }
    }

    /** @return \Closure(): void restores the previous handlers */
    private function installSignals(): \Closure
    {
        if (!$this->options['handle_signals'] || !function_exists('pcntl_signal') || !function_exists('pcntl_async_signals')) {
            return static function (): void {
            };
        }
        $previousAsync = pcntl_async_signals(true);
        $previous = [];
        foreach ([SIGTERM, SIGINT] as $signal) {
            $previous[$signal] = pcntl_signal_get_handler($signal);
            pcntl_signal($signal, function (int $signal): void {
                if (!$this->stopping) {
                    $this->logger->info('zenith worker: {signal} received; finishing the jobs in hand', ['signal' => $signal === SIGTERM ? 'SIGTERM' : 'SIGINT']);
                }
                $this->stop();
            });
        }
        return static function () use ($previous, $previousAsync): void {
            foreach ($previous as $signal => $handler) {
                pcntl_signal($signal, $handler);
            }
            pcntl_async_signals($previousAsync);
        };
    }
}
