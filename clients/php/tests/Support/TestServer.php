<?php

declare(strict_types=1);

namespace Zenith\Tests\Support;

/**
 * A real Redis and a real Zenith server for the tests, started once per run on free loopback
 * ports and stopped when the run ends. The server binary is `$ZENITH_BIN`, by default
 * `<repo>/target/debug/zenith`.
 */
final class TestServer
{
    private static ?self $instance = null;

    /** @var list<resource> */
    private array $processes = [];
    public readonly string $url;
    public readonly int $redisPort;
    private readonly string $dir;

    public static function get(): self
    {
        return self::$instance ??= new self();
    }

    /**
     * A server of its own (and its Redis), started with more `zenith serve` arguments; stop()
     * it when done (else it stops when the run ends).
     *
     * @param list<string> $serverArgs
     */
    public static function start(array $serverArgs): self
    {
        return new self($serverArgs);
    }

    public static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if ($socket === false) {
            throw new \RuntimeException("no free port: $errstr");
        }
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr((string) strrchr((string) $name, ':'), 1);
    }

    public static function binary(): string
    {
        $bin = getenv('ZENITH_BIN') ?: dirname(__DIR__, 4) . '/target/debug/zenith';
        if (!is_file($bin) || !is_executable($bin)) {
            throw new \RuntimeException("the Zenith server binary is missing at $bin: run `cargo build -p zenith-server` at the repository root, or point ZENITH_BIN at it");
        }
        return $bin;
    }

    /** @param list<string> $serverArgs */
    private function __construct(array $serverArgs = [])
    {
        $bin = self::binary();
        $this->dir = sys_get_temp_dir() . '/zenith-php-' . getmypid() . '-' . bin2hex(random_bytes(3));
        mkdir($this->dir, 0700, true);
        $this->redisPort = self::freePort();
        $this->spawn(['redis-server', '--port', (string) $this->redisPort, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], 'redis.log');
        $this->waitFor(fn (): bool => @fsockopen('127.0.0.1', $this->redisPort) !== false, 'redis-server', 'redis.log');
        $port = self::freePort();
        $this->url = "http://127.0.0.1:$port";
        $this->spawn([
            $bin, 'serve',
            '--listen', "127.0.0.1:$port",
            '--redis-url', "redis://127.0.0.1:{$this->redisPort}",
            '--database-url', "sqlite://{$this->dir}/zenith.db",
            '--data-dir', "{$this->dir}/data",
            ...$serverArgs,
        ], 'server.log');
        $this->waitFor(function () use ($port): bool {
            $ch = curl_init("http://127.0.0.1:$port/readyz");
            curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 2]);
            curl_exec($ch);
            $ok = curl_getinfo($ch, CURLINFO_RESPONSE_CODE) === 200;
            curl_close($ch);
            return $ok;
        }, 'zenith server', 'server.log');
        register_shutdown_function(fn () => $this->stop());
    }

    /** @param list<string> $command */
    private function spawn(array $command, string $log): void
    {
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "{$this->dir}/$log", 'a'], 2 => ['file', "{$this->dir}/$log", 'a']], $pipes);
        if ($process === false) {
            throw new \RuntimeException('cannot start ' . $command[0]);
        }
        $this->processes[] = $process;
    }

    private function waitFor(callable $ready, string $what, string $log): void
    {
        $deadline = microtime(true) + 30;
        while (microtime(true) < $deadline) {
            if ($ready()) {
                return;
            }
            usleep(100000);
        }
        throw new \RuntimeException("$what did not become ready in 30 s; its log:\n" . @file_get_contents("{$this->dir}/$log"));
    }

    public function serverLog(): string
    {
        return (string) @file_get_contents("{$this->dir}/server.log");
    }

    public function stop(): void
    {
        foreach (array_reverse($this->processes) as $process) {
            $status = proc_get_status($process);
            if ($status['running']) {
                posix_kill($status['pid'], SIGTERM);
                $deadline = microtime(true) + 5;
                while (proc_get_status($process)['running'] && microtime(true) < $deadline) {
                    usleep(50000);
                }
                if (proc_get_status($process)['running']) {
                    posix_kill($status['pid'], SIGKILL);
                }
            }
            proc_close($process);
        }
        $this->processes = [];
        exec('rm -rf ' . escapeshellarg($this->dir));
    }
}
