<?php

declare(strict_types=1);

namespace Zenith\Tests;

use Psr\Log\AbstractLogger;
use Zenith\Client;
use Zenith\JobContext;
use Zenith\JobFailure;
use Zenith\Tests\Support\ServerTestCase;
use Zenith\Tests\Support\TestServer;
use Zenith\V1\JobState;
use Zenith\Worker;

final class WorkerTest extends ServerTestCase
{
    private function worker(string $queue, array $options = []): Worker
    {
        return new Worker($this->client, [$queue], $options + [
            'pulse' => false,
            'poll_wait_seconds' => 0.2,
            'logger' => new \Psr\Log\NullLogger(),
        ]);
    }

    public function testWorkerAcksJobsWithTheirResults(): void
    {
        $queue = self::queue('work');
        $ids = [];
        for ($n = 1; $n <= 7; $n++) {
            $ids[$n] = $this->client->enqueue($queue, 'square', ['n' => $n])->getJob()->getId();
        }
        $worker = $this->worker($queue, ['max_jobs' => 7, 'batch_size' => 3]);
        $worker->handle('square', fn (JobContext $job): array => ['by' => 'php', 'n' => $job->json()['n'] ** 2]);
        $worker->run();

        self::assertSame(7, $worker->processed());
        foreach ($ids as $n => $id) {
            $job = $this->client->getJob($id);
            self::assertSame(JobState::JOB_STATE_COMPLETED, $job->getState(), "job $n");
            self::assertSame(sprintf('{"by":"php","n":%d}', $n * $n), $job->getResult());
        }
    }

    public function testHandlersSeeTheJobHeadersToContinueItsTrace(): void
    {
        $queue = self::queue('traced');
        $traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
        $this->client->enqueue($queue, 'traced', null, ['headers' => ['traceparent' => $traceparent]]);
        $seen = null;
        $worker = $this->worker($queue, ['max_jobs' => 1]);
        $worker->handle('traced', static function (JobContext $job) use (&$seen): string {
            $seen = $job->headers();
            return 'ok';
        });
        $worker->run();

        self::assertSame(['traceparent' => $traceparent], $seen);
    }

    public function testThrowingHandlerFailsTheAttemptAndTheWorkerGoesOn(): void
    {
        $queue = self::queue('boom');
        $bad = $this->client->enqueue($queue, 'explode', ['n' => 1], ['max_attempts' => 3])->getJob()->getId();
        $good = $this->client->enqueue($queue, 'fine', ['n' => 2])->getJob()->getId();
        $worker = $this->worker($queue, ['max_jobs' => 2]);
        $worker->handle('explode', static function (): never {
            throw new \DomainException('card declined by issuer');
        });
        $worker->handle('fine', static fn (JobContext $job): string => 'raw-result');
        $worker->run();

        $job = $this->client->getJob($bad);
        self::assertSame(JobState::JOB_STATE_RETRY, $job->getState());
        self::assertSame(1, $job->getAttempts());
        self::assertSame('DomainException: card declined by issuer', $job->getLastError());
        self::assertStringContainsString('WorkerTest.php', $job->getLastStackTrace());
        self::assertStringContainsString('#0 ', $job->getLastStackTrace());

        $after = $this->client->getJob($good);
        self::assertSame(JobState::JOB_STATE_COMPLETED, $after->getState());
        self::assertSame('raw-result', $after->getResult());
    }

    public function testPermanentFailureAndUnknownTypeGoStraightToDead(): void
    {
        $queue = self::queue('dead');
        $permanent = $this->client->enqueue($queue, 'reject', null, ['max_attempts' => 5])->getJob()->getId();
        $unknown = $this->client->enqueue($queue, 'nobody-handles-this', null, ['max_attempts' => 5])->getJob()->getId();
        $worker = $this->worker($queue, ['max_jobs' => 2]);
        $worker->handle('reject', static function (): never {
            throw JobFailure::permanent('negative amount');
        });
        $worker->run();

        $job = $this->client->getJob($permanent);
        self::assertSame(JobState::JOB_STATE_DEAD, $job->getState());
        self::assertSame('negative amount', $job->getLastError());
        $job = $this->client->getJob($unknown);
        self::assertSame(JobState::JOB_STATE_DEAD, $job->getState());
        self::assertSame(1, $job->getAttempts());
        self::assertSame('no handler for job type "nobody-handles-this"', $job->getLastError());
    }

    public function testResultOverTheLimitFailsTheJobWithoutRetry(): void
    {
        $queue = self::queue('bigresult');
        $id = $this->client->enqueue($queue, 'big')->getJob()->getId();
        $client = new Client(TestServer::get()->url, ['max_payload_bytes' => 100]);
        $worker = new Worker($client, [$queue], ['pulse' => false, 'max_jobs' => 1, 'logger' => new \Psr\Log\NullLogger()]);
        $worker->handle('big', static fn (): string => str_repeat('r', 101));
        $worker->run();
        $job = $this->client->getJob($id);
        self::assertSame(JobState::JOB_STATE_DEAD, $job->getState());
        self::assertStringContainsString('over the limit of 100 bytes', $job->getLastError());
    }

    public function testCancellationIsSeenThroughHeartbeat(): void
    {
        $queue = self::queue('cancel');
        $id = $this->client->enqueue($queue, 'long')->getJob()->getId();
        $worker = $this->worker($queue, ['max_jobs' => 1, 'lease_seconds' => 3]);
        $client = $this->client;
        $worker->handle('long', static function (JobContext $job) use ($client): string {
            $client->cancelJob($job->id(), 'operator changed their mind');
            $deadline = microtime(true) + 5;
            while (microtime(true) < $deadline) {
                usleep(100000);
                if (!$job->heartbeat()) {
                    return 'stopped';
                }
            }
            return 'ran to the end';
        });
        $worker->run();
        $job = $this->client->getJob($id);
        self::assertSame(JobState::JOB_STATE_CANCELLED, $job->getState());
    }

    public function testUnreachableServerIsRetriedWithBackoffAndLogged(): void
    {
        $logger = new class () extends AbstractLogger {
            /** @var list<string> */
            public array $lines = [];
            public ?Worker $worker = null;

            public function log($level, $message, array $context = []): void
            {
                $this->lines[] = $level . ' ' . \Zenith\Log\Records::interpolate((string) $message, $context);
                if (count(array_filter($this->lines, static fn (string $l): bool => str_contains($l, 'unreachable'))) >= 3) {
                    $this->worker?->stop();
                }
            }
        };
        $client = new Client('http://127.0.0.1:' . TestServer::freePort(), ['connect_timeout' => 0.5]);
        $worker = new Worker($client, ['nowhere'], ['pulse' => false, 'logger' => $logger]);
        $logger->worker = $worker;
        $worker->fallback(static fn () => null);
        $started = microtime(true);
        $worker->run();
        $warnings = array_values(array_filter($logger->lines, static fn (string $l): bool => str_contains($l, 'unreachable')));
        self::assertCount(3, $warnings);
        self::assertStringStartsWith('warning zenith worker: server unreachable (attempt 1), retrying in', $warnings[0]);
        self::assertStringContainsString('UNAVAILABLE', $warnings[0]);
        self::assertLessThan(10, microtime(true) - $started);
    }
}
