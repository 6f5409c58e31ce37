<?php

declare(strict_types=1);

namespace Zenith\Tests;

use Psr\Log\NullLogger;
use Zenith\Pulse\BeatPayloads;
use Zenith\Pulse\Identity;
use Zenith\Pulse\PulseAgent;
use Zenith\Pulse\RedisBeatSender;
use Zenith\Tests\Support\ServerTestCase;
use Zenith\Tests\Support\TestServer;
use Zenith\V1\BeatTransport;
use Zenith\V1\JobAck;
use Zenith\V1\JobState;
use Zenith\V1\Node;
use Zenith\V1\QuietNodeRequest;
use Zenith\V1\QuietNodeResponse;

final class PulseTest extends ServerTestCase
{
    private function findNode(string $service, string $nodeId): ?Node
    {
        foreach ($this->client->listNodes($service)->getServices() as $group) {
            foreach ($group->getNodes() as $node) {
                if ($node->getBeat()->getIdentity()->getNodeId() === $nodeId) {
                    return $node;
                }
            }
        }
        return null;
    }

    public function testIdentityIsPhp(): void
    {
        $identity = Identity::detect('billing');
        self::assertSame('php', $identity->getLanguage());
        self::assertSame('billing', $identity->getService());
        self::assertSame(getmypid(), (int) $identity->getPid());
        self::assertMatchesRegularExpression('#^[A-Za-z0-9\-_.:@/]+:\d+:[0-9a-f]{8}$#', $identity->getNodeId());
        self::assertStringStartsWith('PHP 8.', $identity->getRuntime());
        self::assertStringStartsWith('zenith-sdk-php ', $identity->getSdkVersion());
    }

    public function testGrpcBeatShowsUpInListNodes(): void
    {
        $service = self::queue('pulse-grpc');
        $agent = PulseAgent::grpc($this->client, $service, 5.0, new NullLogger());
        $agent->setQueues(['emails']);
        self::assertNotNull($agent->beatNow());

        $node = $this->findNode($service, $agent->nodeId());
        self::assertNotNull($node);
        self::assertSame('php', $node->getBeat()->getIdentity()->getLanguage());
        self::assertSame(BeatTransport::BEAT_TRANSPORT_GRPC, $node->getTransport());
        self::assertSame(['emails'], iterator_to_array($node->getBeat()->getQueues()));
        self::assertGreaterThan(0, (int) $node->getBeat()->getProcess()->getMemoryRssBytes());
        self::assertGreaterThan(0, (int) $node->getBeat()->getSystem()->getMemoryTotalBytes());
        self::assertGreaterThan(0, (int) $node->getBeat()->getSystem()->getDiskTotalBytes());
        self::assertGreaterThan(0, $node->getBeat()->getSystem()->getCpuCores());
        self::assertFalse($node->getBeat()->getQuiet());
    }

    public function testRedisNativeBeatShowsUpInListNodes(): void
    {
        $service = self::queue('pulse-redis');
        $sender = RedisBeatSender::connect('127.0.0.1', TestServer::get()->redisPort);
        $agent = new PulseAgent($sender, Identity::detect($service), 2.0, ['reports'], new NullLogger());
        self::assertNotNull($agent->beatNow());

        // One pipelined SET … EX ttl + ZADD: the beat is there as proto3 JSON, with 3 intervals of TTL.
        $redis = new \Redis();
        $redis->connect('127.0.0.1', TestServer::get()->redisPort);
        $stored = BeatPayloads::fromJson((string) $redis->get($sender->beatKey($agent->nodeId())));
        self::assertSame('php', $stored->getIdentity()->getLanguage());
        self::assertLessThanOrEqual(6, $redis->ttl($sender->beatKey($agent->nodeId())));
        self::assertNotFalse($redis->zScore($sender->registryKey(), $agent->nodeId()));

        $node = self::eventually(fn () => $this->findNode($service, $agent->nodeId()), 5.0, 'the Redis beat in ListNodes');
        self::assertSame('php', $node->getBeat()->getIdentity()->getLanguage());
        self::assertSame(BeatTransport::BEAT_TRANSPORT_REDIS, $node->getTransport());
        self::assertSame(['reports'], iterator_to_array($node->getBeat()->getQueues()));

        // QuietNode reaches a Redis-native node through its quiet key.
        $this->client->call('zenith.v1.PulseService/QuietNode', (new QuietNodeRequest())->setNodeId($agent->nodeId())->setQuiet(true), QuietNodeResponse::class);
        self::eventually(function () use ($agent): ?bool {
            $agent->beatNow();
            return $agent->quietRequested() ? true : null;
        }, 5.0, 'the quiet instruction over Redis');
    }

    public function testQuietInstructionOverGrpc(): void
    {
        $agent = PulseAgent::grpc($this->client, self::queue('pulse-quiet'), 5.0, new NullLogger());
        $agent->beatNow();
        self::assertFalse($agent->quietRequested());
        $this->client->call('zenith.v1.PulseService/QuietNode', (new QuietNodeRequest())->setNodeId($agent->nodeId())->setQuiet(true), QuietNodeResponse::class);
        $agent->beatNow();
        self::assertTrue($agent->quietRequested());
        $this->client->call('zenith.v1.PulseService/QuietNode', (new QuietNodeRequest())->setNodeId($agent->nodeId())->setQuiet(false), QuietNodeResponse::class);
        $agent->beatNow();
        self::assertFalse($agent->quietRequested());
    }

    public function testBackgroundBeatsKeepALeaseAliveWhileTheProcessBlocks(): void
    {
        if (!function_exists('pcntl_fork')) {
            self::markTestSkipped('needs pcntl');
        }
        $queue = self::queue('lease');
        $service = self::queue('pulse-lease');
        $id = $this->client->enqueue($queue, 'slow')->getJob()->getId();
        $reserved = $this->client->reserve([$queue], 1, 1.0, 1.0)[0];

        $agent = PulseAgent::grpc($this->client, $service, 1.0, new NullLogger());
        $agent->trackJob($queue, $id, $reserved->getLeaseToken());
        $agent->start();
        self::assertTrue($agent->inBackground());
        // The process blocks for four 1 s leases; only the child's beats keep this one alive.
        sleep(4);
        $node = $this->findNode($service, $agent->nodeId());
        self::assertNotNull($node);
        self::assertSame($id, $node->getBeat()->getJobs()[0]->getJobId());
        self::assertSame(JobState::JOB_STATE_ACTIVE, $this->client->getJob($id)->getState());

        $this->client->ack([(new JobAck())->setQueue($queue)->setJobId($id)->setLeaseToken($reserved->getLeaseToken())->setResult('late but mine')]);
        $agent->untrackJob($id);
        $agent->stop();
        self::assertFalse($agent->inBackground());
        self::assertSame(JobState::JOB_STATE_COMPLETED, $this->client->getJob($id)->getState());
        self::assertTrue($this->findNode($service, $agent->nodeId())->getBeat()->getQuiet());
    }

    public function testWithoutAChildTickBeatsOnceTheIntervalPassed(): void
    {
        $service = self::queue('pulse-tick');
        $agent = new PulseAgent(new \Zenith\Pulse\GrpcBeatSender($this->client), Identity::detect($service), 1.0, [], new NullLogger(), background: false);
        $agent->start();
        self::assertFalse($agent->inBackground());
        $first = $this->client->getNode($agent->nodeId())->getLastBeatAt()->getSeconds();
        $agent->tick(); // within the interval: no beat
        usleep(1100000);
        $agent->tick();
        $node = $this->client->getNode($agent->nodeId());
        self::assertGreaterThan($first, $node->getLastBeatAt()->getSeconds() + $node->getLastBeatAt()->getNanos() / 1e9);
    }

    public function testWatchNodesStreamsTheNewNode(): void
    {
        $service = self::queue('pulse-watch');
        $agent = PulseAgent::grpc($this->client, $service, 5.0, new NullLogger());
        $agent->beatNow();
        $seen = null;
        $this->client->watchNodes((new \Zenith\V1\WatchNodesRequest())->setService($service), function (\Zenith\V1\WatchNodesResponse $response) use (&$seen): bool {
            foreach ($response->getChanges() as $change) {
                $seen = $change->getNode()->getBeat()->getIdentity()->getNodeId();
            }
            return $seen === null;
        }, 10.0);
        self::assertSame($agent->nodeId(), $seen);
    }

    public function testFailingBeatsNeverThrow(): void
    {
        $client = new \Zenith\Client('http://127.0.0.1:' . TestServer::freePort(), ['connect_timeout' => 0.5]);
        $agent = PulseAgent::grpc($client, 'offline', 1.0, new NullLogger());
        self::assertNull($agent->beatNow());
        $agent->tick();
        self::assertFalse($agent->quietRequested());
    }
}
