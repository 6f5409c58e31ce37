<?php

declare(strict_types=1);

namespace Zenith\Log;

use Psr\Log\AbstractLogger;
use Psr\Log\LoggerInterface;
use Zenith\Client;
use Zenith\V1\LogLevel as ZenithLevel;
use Zenith\V1\LogRecord;
use Zenith\V1\NodeIdentity;

/**
 * A PSR-3 logger shipping lines to Zenith (`LogService/WriteLogs`) in batches: when 100 lines
 * wait, when the oldest waiting line is a second old (checked as lines come), on {@see flush()}
 * and when the script ends. Lines carry the service and node id of the process's beats and,
 * inside a {@see \Zenith\Worker}'s handler, the job's id and queue.
 *
 * Never throws into the caller: while the server is unreachable lines wait (at most 10,000;
 * older ones are dropped and counted, and a warn line says how many), and a batch that failed
 * three times is dropped. Problems are reported once to the fallback logger (stderr).
 */
final class ZenithLogger extends AbstractLogger
{
    private const MAX_MESSAGE_BYTES = 65536;
    private const MAX_FIELDS = 64;
    private const MAX_FIELD_BYTES = 4096;
    private const MAX_LABEL_BYTES = 256;
    private const WRITE_ATTEMPTS = 3;

    /** @var list<LogRecord> */
    private array $buffer = [];
    private float $oldest = 0.0;
    private int $dropped = 0;
    private int $attempts = 0;
    private bool $flushing = false;
    private bool $reported = false;
    private string $jobId = '';
    private string $queue = '';
    private readonly LoggerInterface $fallback;

    public function __construct(
        private readonly Client $client,
        private readonly string $service,
        private readonly string $nodeId,
        private readonly int $batchSize = 100,
        private readonly float $flushInterval = 1.0,
        private readonly int $maxBuffer = 10000,
        ?LoggerInterface $fallback = null,
        private readonly string $target = 'php',
    ) {
        $this->fallback = $fallback ?? new StderrLogger();
        register_shutdown_function(function (): void {
            $this->flush();
        });
    }

    /** A logger tagging lines with the service and node id of a pulse identity. */
    public static function forIdentity(Client $client, NodeIdentity $identity): self
    {
        return new self($client, $identity->getService(), $identity->getNodeId());
    }

    /** Tags the next lines with a job (the worker does this around each handler); '' clears. */
    public function setJob(string $queue, string $jobId): void
    {
        $this->queue = $queue;
        $this->jobId = $jobId;
    }

    /**
     * @param mixed $level
     * @param string|\Stringable $message
     * @param array<string, mixed> $context
     */
    public function log($level, $message, array $context = []): void
    {
        try {
            $message = (string) $message;
            $fields = [];
            foreach (array_slice(Records::fields($context, $message), 0, self::MAX_FIELDS, true) as $key => $value) {
                $fields[self::cut((string) $key, 128)] = self::cut($value, self::MAX_FIELD_BYTES);
            }
            $record = (new LogRecord())
                ->setTime(Client::timestamp())
                ->setLevel(Records::level($level))
                ->setMessage(self::cut(Records::interpolate($message, $context), self::MAX_MESSAGE_BYTES))
                ->setService(self::cut($this->service, self::MAX_LABEL_BYTES))
                ->setNodeId(self::cut($this->nodeId, self::MAX_LABEL_BYTES))
                ->setQueue(self::cut((string) ($context['queue'] ?? $this->queue), self::MAX_LABEL_BYTES))
                ->setJobId(self::cut((string) ($context['job_id'] ?? $this->jobId), self::MAX_LABEL_BYTES))
                ->setTarget(self::cut((string) ($context['target'] ?? $this->target), self::MAX_LABEL_BYTES))
                ->setFields($fields);
            $this->push($record);
        } catch (\Throwable $error) {
            $this->report('zenith logger: a line could not be built: ' . $error->getMessage());
        }
    }

    /** Lines waiting to be shipped. */
    public function pending(): int
    {
        return count($this->buffer);
    }

    /** Lines dropped since the last shipped batch (buffer full, or batches given up on). */
    public function dropped(): int
    {
        return $this->dropped;
    }

    /**
     * Ships every waiting line now; returns whether they were all written. Never throws.
     */
    public function flush(): bool
    {
        if ($this->flushing) {
            return false;
        }
        $this->flushing = true;
        try {
            while ($this->buffer !== []) {
                $batch = array_slice($this->buffer, 0, 1000);
                $shipped = count($batch);
                if ($this->dropped > 0) {
                    $batch[] = (new LogRecord())
                        ->setTime(Client::timestamp())
                        ->setLevel(ZenithLevel::LOG_LEVEL_WARN)
                        ->setMessage(sprintf('zenith logger dropped %d log lines', $this->dropped))
                        ->setService($this->service)
                        ->setNodeId($this->nodeId)
                        ->setTarget('zenith');
                }
                try {
                    $this->client->writeLogs($batch, 10.0);
                } catch (\Throwable $error) {
                    $this->attempts++;
                    if ($this->attempts >= self::WRITE_ATTEMPTS) {
                        $lost = min(1000, count($this->buffer));
                        $this->buffer = array_slice($this->buffer, $lost);
                        $this->dropped += $lost;
                        $this->attempts = 0;
                    }
                    $this->report('zenith logger: shipping log lines failed; they wait and are retried: ' . $error->getMessage());
                    return false;
                }
                $this->attempts = 0;
                $this->dropped = 0;
                $this->reported = false;
                $this->buffer = array_slice($this->buffer, $shipped);
                $this->oldest = microtime(true);
            }
            return true;
        } finally {
            $this->flushing = false;
        }
    }

    private function push(LogRecord $record): void
    {
        if ($this->buffer === []) {
            $this->oldest = microtime(true);
        }
        $this->buffer[] = $record;
        if (count($this->buffer) > $this->maxBuffer) {
            array_shift($this->buffer);
            $this->dropped++;
        }
        if (count($this->buffer) >= $this->batchSize || microtime(true) - $this->oldest >= $this->flushInterval) {
            $this->flush();
        }
    }

    private function report(string $message): void
    {
        if (!$this->reported) {
            $this->reported = true;
            $this->fallback->warning($message);
        }
    }

    /** At most `$max` bytes, cut at a UTF-8 boundary, NUL removed. */
    private static function cut(string $text, int $max): string
    {
        $text = str_replace("\0", '', $text);
        if (strlen($text) <= $max) {
            return $text;
        }
        $marker = '…[truncated]';
        return mb_strcut($text, 0, $max - strlen($marker), 'UTF-8') . $marker;
    }
}
