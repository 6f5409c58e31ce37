<?php

declare(strict_types=1);

namespace Zenith\Tests;

use Psr\Log\LoggerInterface;
use Psr\Log\NullLogger;
use Zenith\Client;
use Zenith\JobContext;
use Zenith\Log\StderrLogger;
use Zenith\Log\ZenithLogger;
use Zenith\Tests\Support\ServerTestCase;
use Zenith\Tests\Support\TestServer;
use Zenith\V1\LogFilter;
use Zenith\V1\LogLevel;
use Zenith\V1\LogRecord;
use Zenith\V1\SearchLogsRequest;
use Zenith\Worker;

final class LogTest extends ServerTestCase
{
    /** @return list<LogRecord> */
    private function search(LogFilter $filter, string $query, int $want): array
    {
        return self::eventually(function () use ($filter, $query, $want): ?array {
            $request = (new SearchLogsRequest())->setFilter($filter)->setQuery($query)->setOldestFirst(true);
            $records = iterator_to_array($this->client->searchLogs($request)->getRecords(), false);
            return count($records) >= $want ? $records : null;
        }, 8.0, "$want log lines matching \"$query\" in SearchLogs");
    }

    public function testLoggerIsPsr3(): void
    {
        self::assertInstanceOf(LoggerInterface::class, new ZenithLogger($this->client, 's', 'n'));
        self::assertInstanceOf(LoggerInterface::class, new StderrLogger());
    }

    public function testShippedLinesAppearInSearchLogs(): void
    {
        $service = self::queue('log-svc');
        $word = 'zebra' . bin2hex(random_bytes(3));
        $logger = new ZenithLogger($this->client, $service, 'node-1');
        $logger->info('charging card for {word}', ['word' => $word, 'amount' => 42]);
        $logger->error('card declined {word}', ['word' => $word, 'exception' => new \RuntimeException('issuer said no')]);
        self::assertSame(2, $logger->pending());
        self::assertTrue($logger->flush());
        self::assertSame(0, $logger->pending());

        $records = $this->search((new LogFilter())->setService($service), $word, 2);
        self::assertSame("charging card for $word", $records[0]->getMessage());
        self::assertSame(LogLevel::LOG_LEVEL_INFO, $records[0]->getLevel());
        self::assertSame('42', $records[0]->getFields()['amount']);
        self::assertSame('node-1', $records[0]->getNodeId());
        self::assertSame(LogLevel::LOG_LEVEL_ERROR, $records[1]->getLevel());
        self::assertStringContainsString('issuer said no', $records[1]->getFields()['exception']);
    }

    public function testLinesLoggedInAHandlerCarryTheJob(): void
    {
        $queue = self::queue('log-jobs');
        $id = $this->client->enqueue($queue, 'charge', ['amount' => 7])->getJob()->getId();
        $logger = new ZenithLogger($this->client, 'billing', 'node-2');
        $worker = new Worker($this->client, [$queue], ['pulse' => false, 'max_jobs' => 1, 'job_logger' => $logger, 'logger' => new NullLogger()]);
        $worker->handle('charge', static function (JobContext $job) use ($logger): void {
            $logger->warning('charging {amount} cents', ['amount' => $job->json()['amount']]);
        });
        $worker->run();

        $records = $this->search((new LogFilter())->setJobId($id), '', 1);
        self::assertSame('charging 7 cents', $records[0]->getMessage());
        self::assertSame($queue, $records[0]->getQueue());
        self::assertSame(LogLevel::LOG_LEVEL_WARN, $records[0]->getLevel());
    }

    public function testAnUnreachableServerNeverThrowsIntoTheCaller(): void
    {
        $stream = fopen('php://memory', 'w+');
        $client = new Client('http://127.0.0.1:' . TestServer::freePort(), ['connect_timeout' => 0.5]);
        $logger = new ZenithLogger($client, 's', 'n', batchSize: 2, fallback: new StderrLogger(stream: $stream));
        $logger->info('one');
        $logger->info('two');
        self::assertFalse($logger->flush());
        self::assertSame(2, $logger->pending());
        rewind($stream);
        self::assertStringContainsString('shipping log lines failed', (string) stream_get_contents($stream));
    }
}
