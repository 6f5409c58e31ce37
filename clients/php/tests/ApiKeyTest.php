<?php

declare(strict_types=1);

namespace Zenith\Tests;

use Zenith\Client;
use Zenith\Exception\PermissionDeniedException;
use Zenith\Exception\RpcException;
use Zenith\Exception\UnauthenticatedException;
use Zenith\JobContext;
use Zenith\Status;
use Zenith\Tests\Support\ServerTestCase;
use Zenith\Tests\Support\TestServer;
use Zenith\V1\CreateApiKeyRequest;
use Zenith\V1\CreateApiKeyResponse;
use Zenith\V1\JobState;
use Zenith\V1\ListQueuesRequest;
use Zenith\V1\ListQueuesResponse;
use Zenith\V1\Role;
use Zenith\Worker;

/**
 * API keys against a server of its own that has one (started with --bootstrap-admin-key).
 */
final class ApiKeyTest extends ServerTestCase
{
    private const BOOTSTRAP = 'zk_bootstrap_0123456789abcdefghijklmnopqrstuvwxyzABCD';

    private static ?TestServer $keyed = null;
    private static string $workerToken = '';

    public static function setUpBeforeClass(): void
    {
        self::$keyed = TestServer::start(['--bootstrap-admin-key', self::BOOTSTRAP]);
        $request = (new CreateApiKeyRequest())->setName('php sdk worker')->setRole(Role::ROLE_WORKER);
        /** @var CreateApiKeyResponse $created */
        $created = (new Client(self::$keyed->url, ['api_key' => self::BOOTSTRAP]))
            ->call('zenith.v1.AdminService/CreateApiKey', $request, CreateApiKeyResponse::class);
        self::$workerToken = $created->getToken();
    }

    public static function tearDownAfterClass(): void
    {
        self::$keyed?->stop();
        self::$keyed = null;
    }

    protected function setUp(): void
    {
        putenv(Client::API_KEY_ENV);
        $this->client = new Client(self::$keyed->url, ['api_key' => self::BOOTSTRAP]);
    }

    protected function tearDown(): void
    {
        putenv(Client::API_KEY_ENV);
    }

    private function workerClient(): Client
    {
        return new Client(self::$keyed->url, ['api_key' => self::$workerToken]);
    }

    public function testBootstrapKeyIsAdmin(): void
    {
        $me = $this->client->whoAmI();
        self::assertSame(Role::ROLE_ADMIN, $me->getRole());
        self::assertFalse($me->getOpen());
        self::assertSame('bootstrap', $me->getKey()->getId());
        self::assertSame('key:bootstrap', $me->getPrincipal());
    }

    public function testWorkerKeyEnqueuesWorksAndAcks(): void
    {
        $workerClient = $this->workerClient();
        self::assertSame(Role::ROLE_WORKER, $workerClient->whoAmI()->getRole());
        $queue = self::queue('keyed');
        $id = $workerClient->enqueue($queue, 'greet', ['name' => 'Ada'])->getJob()->getId();

        $worker = new Worker($workerClient, [$queue], [
            'max_jobs' => 1,
            'pulse' => false,
            'poll_wait_seconds' => 0.2,
            'logger' => new \Psr\Log\NullLogger(),
        ]);
        $worker->handle('greet', fn (JobContext $job): array => ['hello' => $job->json()['name']]);
        $worker->run();

        self::assertSame(1, $worker->processed());
        self::assertSame(JobState::JOB_STATE_COMPLETED, $workerClient->getJob($id)->getState());
        $seen = $this->client->getJob($id);
        self::assertSame('{"hello":"Ada"}', $seen->getResult());
        self::assertSame(1, $seen->getAttempts());
    }

    public function testAFreshClientKeepsTheKey(): void
    {
        // What a forked pulse child beats with (GrpcBeatSender::fresh()).
        $fresh = $this->workerClient()->fresh();
        self::assertSame(self::$workerToken, $fresh->apiKey());
        self::assertSame(Role::ROLE_WORKER, $fresh->whoAmI()->getRole());
    }

    public function testNoKeyIsUnauthenticated(): void
    {
        $anonymous = new Client(self::$keyed->url);
        try {
            $anonymous->enqueue(self::queue('nokey'), 't');
            self::fail('enqueue without a key succeeded');
        } catch (UnauthenticatedException $error) {
            self::assertSame(Status::UNAUTHENTICATED, $error->getCode());
            self::assertSame('UNAUTHENTICATED', $error->getStatusName());
            self::assertFalse($error->isTransient());
            self::assertInstanceOf(RpcException::class, $error);
        }
        // A worker without a key stops at once instead of retrying.
        $worker = new Worker($anonymous, [self::queue('nokey')], ['pulse' => false, 'logger' => new \Psr\Log\NullLogger()]);
        $worker->handle('t', static fn (): null => null);
        $this->expectException(UnauthenticatedException::class);
        $worker->run();
    }

    public function testAnUnknownKeyIsUnauthenticated(): void
    {
        $this->expectException(UnauthenticatedException::class);
        (new Client(self::$keyed->url, ['api_key' => 'zk_nobody_0123456789abcdefghijklmnopqrstuvwxyzABCD']))->whoAmI();
    }

    public function testWorkerKeyMayNotReadTheControlPlane(): void
    {
        $workerClient = $this->workerClient();
        try {
            $workerClient->listNodes();
            self::fail('a worker key listed the nodes');
        } catch (PermissionDeniedException $error) {
            self::assertSame(Status::PERMISSION_DENIED, $error->getCode());
        }
        try {
            $workerClient->call('zenith.v1.QueueService/ListQueues', new ListQueuesRequest(), ListQueuesResponse::class);
            self::fail('a worker key listed the queues');
        } catch (PermissionDeniedException) {
        }
        // The admin key may.
        self::assertInstanceOf(ListQueuesResponse::class, $this->client->call('zenith.v1.QueueService/ListQueues', new ListQueuesRequest(), ListQueuesResponse::class));
    }

    public function testZenithApiKeyIsTheDefault(): void
    {
        putenv(Client::API_KEY_ENV . '=' . self::BOOTSTRAP);
        self::assertSame(Role::ROLE_ADMIN, (new Client(self::$keyed->url))->whoAmI()->getRole());
        self::assertSame(Role::ROLE_WORKER, $this->workerClient()->whoAmI()->getRole());
        $this->expectException(UnauthenticatedException::class);
        (new Client(self::$keyed->url, ['api_key' => '']))->whoAmI();
    }

    // Server-free: how the key becomes a header.

    public function testTheKeyBecomesTheAuthorizationHeader(): void
    {
        self::assertSame(['authorization' => 'Bearer zk_a_b'], Client::headersWithKey([], 'zk_a_b'));
        self::assertSame(['x-zenith-actor' => 'me', 'authorization' => 'Bearer zk_a_b'], Client::headersWithKey(['x-zenith-actor' => 'me'], 'zk_a_b'));
        self::assertSame([], Client::headersWithKey([], ''));
        // An authorization header of the caller's own wins.
        self::assertSame(['Authorization' => 'Bearer mine'], Client::headersWithKey(['Authorization' => 'Bearer mine'], 'zk_a_b'));

        putenv(Client::API_KEY_ENV . "= zk_env_secret\n");
        self::assertSame('zk_env_secret', (new Client('http://127.0.0.1:1'))->apiKey());
        self::assertSame('zk_given', (new Client('http://127.0.0.1:1', ['api_key' => 'zk_given']))->apiKey());
        self::assertSame('', (new Client('http://127.0.0.1:1', ['api_key' => '']))->apiKey());
        putenv(Client::API_KEY_ENV);
        self::assertSame('', (new Client('http://127.0.0.1:1'))->apiKey());
    }
}
