<?php

declare(strict_types=1);

namespace Zenith\Tests;

use Zenith\Tests\Support\ServerTestCase;
use Zenith\Tests\Support\TestServer;
use Zenith\V1\JobState;
use Zenith\V1\Node;

/**
 * examples/worker.php as a subprocess: it works, and SIGTERM stops it gracefully.
 */
final class SignalTest extends ServerTestCase
{
    public function testExampleWorkerFinishesTheJobInHandOnSigterm(): void
    {
        if (!function_exists('pcntl_signal')) {
            self::markTestSkipped('needs pcntl');
        }
        $queue = self::queue('sig');
        $service = self::queue('sig-svc');
        $quick = $this->client->enqueue($queue, 'square', ['n' => 3])->getJob()->getId();

        $command = [PHP_BINARY, dirname(__DIR__) . '/examples/worker.php', '--server=' . TestServer::get()->url,
            "--queue=$queue", '--type=square', "--service=$service", '--pulse-interval=1'];
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        self::assertIsResource($process);
        stream_set_blocking($pipes[2], false);
        $stderr = '';
        try {
            self::eventually(fn () => $this->client->getJob($quick)->getState() === JobState::JOB_STATE_COMPLETED ? true : null, 10.0, 'the first job done');
            self::assertSame('{"by":"php","n":3}', $this->client->getJob($quick)->getResult());

            $node = self::eventually(function () use ($service): ?Node {
                foreach ($this->client->listNodes($service)->getServices() as $group) {
                    return $group->getNodes()[0] ?? null;
                }
                return null;
            }, 5.0, 'the worker node');
            self::assertSame('php', $node->getBeat()->getIdentity()->getLanguage());
            self::assertSame(proc_get_status($process)['pid'], (int) $node->getBeat()->getIdentity()->getPid());

            $slow = $this->client->enqueue($queue, 'square', ['n' => 5, 'sleep_ms' => 1500])->getJob()->getId();
            self::eventually(fn () => $this->client->getJob($slow)->getState() === JobState::JOB_STATE_ACTIVE ? true : null, 10.0, 'the slow job active');
            posix_kill(proc_get_status($process)['pid'], SIGTERM);
            $stopped = microtime(true);

            $status = self::eventually(function () use ($process, $pipes, &$stderr): ?array {
                $stderr .= (string) stream_get_contents($pipes[2]);
                $status = proc_get_status($process);
                return $status['running'] ? null : $status;
            }, 10.0, 'the worker to exit');
            self::assertSame(0, $status['exitcode'], $stderr);
            self::assertLessThan(5, microtime(true) - $stopped);

            $job = $this->client->getJob($slow);
            self::assertSame(JobState::JOB_STATE_COMPLETED, $job->getState());
            self::assertSame('{"by":"php","n":5}', $job->getResult());
            self::assertStringContainsString('SIGTERM received', $stderr);

            $last = $this->client->getNode($node->getBeat()->getIdentity()->getNodeId());
            self::assertTrue($last->getBeat()->getQuiet());
        } finally {
            $status = proc_get_status($process);
            if ($status['running']) {
                posix_kill($status['pid'], SIGKILL);
            }
            proc_close($process);
        }
    }
}
