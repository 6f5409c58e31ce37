<?php

/**
 * A worker for the cross-language test:
 *
 *     php examples/worker.php --server=http://127.0.0.1:7700 --queue=Q --type=T --service=S
 *
 * Handles jobs of type T from queue Q, acking each with the result {"by":"php","n":<payload n>},
 * and beats over grpc-web as service S (language "php"). Runs until SIGTERM or SIGINT, then
 * finishes the jobs in hand, acks them and exits 0.
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use Zenith\Client;
use Zenith\JobContext;
use Zenith\Worker;

$options = getopt('', ['server:', 'queue:', 'type:', 'service:', 'batch::', 'pulse-interval::']);
foreach (['server', 'queue', 'type', 'service'] as $required) {
    if (!isset($options[$required]) || !is_string($options[$required]) || $options[$required] === '') {
        fwrite(STDERR, "usage: php examples/worker.php --server=URL --queue=Q --type=T --service=S\n");
        exit(2);
    }
}

$client = new Client($options['server']);
$worker = new Worker($client, [$options['queue']], [
    'service' => $options['service'],
    'batch_size' => (int) ($options['batch'] ?? 5),
    'pulse_interval' => (float) ($options['pulse-interval'] ?? 5.0),
]);
$worker->handle($options['type'], static function (JobContext $job): array {
    $payload = $job->json();
    // Tests make a job take a while with "sleep_ms"; signals cut usleep short, so sleep to a deadline.
    $until = microtime(true) + (is_array($payload) ? (int) ($payload['sleep_ms'] ?? 0) : 0) / 1000;
    while (($left = $until - microtime(true)) > 0) {
        usleep((int) (min($left, 0.05) * 1e6));
    }
    return ['by' => 'php', 'n' => is_array($payload) ? ($payload['n'] ?? null) : null];
});
$worker->run();
exit(0);
