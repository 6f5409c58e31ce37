<?php

declare(strict_types=1);

namespace Zenith\Tests;

use Zenith\Client;
use Zenith\Exception\PayloadTooLargeException;
use Zenith\Exception\RpcException;
use Zenith\Log\ZenithLogger;
use Zenith\Payload;
use Zenith\Status;
use Zenith\Tests\Support\ServerTestCase;
use Zenith\Tests\Support\TestServer;
use Zenith\V1\JobState;
use Zenith\V1\LogFilter;
use Zenith\V1\TailLogsRequest;
use Zenith\V1\TailLogsResponse;

final class ClientTest extends ServerTestCase
{
    public function testEnqueueThenGetJob(): void
    {
        $queue = self::queue('emails');
        $enqueued = $this->client->enqueue($queue, 'send_welcome', ['user_id' => 42, 'name' => 'Zoë'], [
            'priority' => 5,
            'max_attempts' => 3,
            'tags' => ['signup'],
            'headers' => ['trace_id' => 'abc'],
        ]);
        self::assertFalse($enqueued->getDuplicate());
        $id = $enqueued->getJob()->getId();
        self::assertNotSame('', $id);

        $job = $this->client->getJob($id);
        self::assertSame($queue, $job->getQueue());
        self::assertSame('send_welcome', $job->getType());
        self::assertSame(JobState::JOB_STATE_PENDING, $job->getState());
        self::assertSame('{"user_id":42,"name":"Zoë"}', $job->getPayload());
        self::assertSame('application/json', $job->getContentType());
        self::assertSame(5, $job->getPriority());
        self::assertSame(3, $job->getMaxAttempts());
        self::assertSame(['signup'], iterator_to_array($job->getTags()));
        self::assertSame('abc', $job->getHeaders()['trace_id']);
    }

    public function testEnqueueWithAnIdIsIdempotent(): void
    {
        $queue = self::queue('idem');
        $id = 'idem-' . bin2hex(random_bytes(4));
        $first = $this->client->enqueue($queue, 't', Payload::bytes("\x00\x01", 'application/octet-stream'), ['id' => $id]);
        $second = $this->client->enqueue($queue, 't', Payload::bytes("\x00\x01", 'application/octet-stream'), ['id' => $id]);
        self::assertSame($id, $first->getJob()->getId());
        self::assertFalse($first->getDuplicate());
        self::assertTrue($second->getDuplicate());
        self::assertSame("\x00\x01", $this->client->getJob($id)->getPayload());
    }

    public function testBatchEnqueue(): void
    {
        $queue = self::queue('batch');
        $jobs = $this->client->batchEnqueue([
            [$queue, 'a', ['n' => 1]],
            [$queue, 'b', null, ['delay_seconds' => 60]],
            Client::buildJobSpec($queue, 'c', ['n' => 3]),
        ]);
        self::assertCount(3, $jobs);
        self::assertSame(JobState::JOB_STATE_PENDING, $jobs[0]->getState());
        self::assertSame(JobState::JOB_STATE_SCHEDULED, $jobs[1]->getState());
        self::assertSame('c', $this->client->getJob($jobs[2]->getId())->getType());
        self::assertSame(2, (int) $this->client->getQueue($queue)->getCounts()->getPending());
    }

    public function testUnknownJobIsNotFound(): void
    {
        try {
            $this->client->getJob('no-such-job-' . bin2hex(random_bytes(4)));
            self::fail('expected NOT_FOUND');
        } catch (RpcException $error) {
            self::assertSame(Status::NOT_FOUND, $error->getCode());
            self::assertSame('NOT_FOUND', $error->getStatusName());
            self::assertStringContainsString('not found', $error->grpcMessage);
            self::assertFalse($error->isTransient());
        }
    }

    public function testInvalidArgumentMapsToItsCode(): void
    {
        try {
            $this->client->enqueue('', 't');
            self::fail('expected INVALID_ARGUMENT');
        } catch (RpcException $error) {
            self::assertSame(Status::INVALID_ARGUMENT, $error->getCode());
        }
    }

    public function testUnreachableServerIsUnavailable(): void
    {
        $client = new Client('http://127.0.0.1:' . TestServer::freePort(), ['connect_timeout' => 1.0]);
        try {
            $client->getJob('x');
            self::fail('expected UNAVAILABLE');
        } catch (RpcException $error) {
            self::assertSame(Status::UNAVAILABLE, $error->getCode());
            self::assertTrue($error->isTransient());
        }
    }

    public function testPayloadOverTheLimitIsRefusedBeforeSending(): void
    {
        $queue = self::queue('big');
        $big = str_repeat('x', Client::DEFAULT_MAX_PAYLOAD_BYTES + 1);
        try {
            $this->client->enqueue($queue, 't', Payload::bytes($big));
            self::fail('expected PayloadTooLargeException');
        } catch (PayloadTooLargeException $error) {
            self::assertSame(Client::DEFAULT_MAX_PAYLOAD_BYTES + 1, $error->size);
            self::assertStringContainsString('over the limit of 1048576 bytes', $error->getMessage());
            self::assertStringContainsString('nothing was sent', $error->getMessage());
        }
        // Nothing reached the server: the queue has no job.
        try {
            self::assertSame(0, (int) $this->client->getQueue($queue)->getCounts()->getPending());
        } catch (RpcException $error) {
            self::assertSame(Status::NOT_FOUND, $error->getCode());
        }
        // A client allowing more than the server's 1 MiB: the server refuses, the same way every
        // time, so the failure is not transient.
        $generous = new Client(TestServer::get()->url, ['max_payload_bytes' => 4 << 20]);
        try {
            $generous->enqueue($queue, 't', Payload::bytes(str_repeat('x', 2 << 20)));
            self::fail('expected RESOURCE_EXHAUSTED');
        } catch (RpcException $error) {
            self::assertSame(Status::RESOURCE_EXHAUSTED, $error->getCode());
            self::assertSame('TOO_LARGE', $error->getReason());
            self::assertFalse($error->isTransient());
        }
        // Refused before any connection: a client of a dead port says the same, not UNAVAILABLE.
        $offline = new Client('http://127.0.0.1:' . TestServer::freePort(), ['max_payload_bytes' => 10]);
        $this->expectException(PayloadTooLargeException::class);
        $offline->batchEnqueue([[$queue, 't', str_repeat('y', 20)]]);
    }

    public function testTailLogsStreamsLinesAsTheyArrive(): void
    {
        $marker = 'tail-' . bin2hex(random_bytes(4));
        $service = self::queue('tail-svc');
        $logger = new ZenithLogger($this->client, $service, 'node-tail');
        $logger->warning('first {marker} line', ['marker' => $marker]);
        $logger->warning('second {marker} line', ['marker' => $marker]);
        self::assertTrue($logger->flush());

        $seen = [];
        $request = (new TailLogsRequest())
            ->setFilter((new LogFilter())->setService($service))
            ->setReplay(Client::duration(60));
        $this->client->tailLogs($request, function (TailLogsResponse $response) use (&$seen): bool {
            foreach ($response->getRecords() as $record) {
                $seen[] = $record->getMessage();
            }
            return count($seen) < 2;
        }, 10.0);
        self::assertSame(["first $marker line", "second $marker line"], $seen);
    }
}
