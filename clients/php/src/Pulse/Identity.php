<?php

declare(strict_types=1);

namespace Zenith\Pulse;

use Zenith\V1\NodeIdentity;
use Zenith\Version;

/**
 * Who a process beats as.
 */
final class Identity
{
    public const LANGUAGE = 'php';
    private const MAX_ID_BYTES = 200;

    /**
     * Node id `<hostname>:<pid>:<random>`, the service given (or the script's name), language
     * `php`, runtime `PHP <version>`, this SDK's version, pid, hostname and `<os>-<arch>`.
     *
     * @param array<string, string> $labels
     */
    public static function detect(string $service = '', string $version = '', array $labels = []): NodeIdentity
    {
        $hostname = gethostname() ?: 'unknown';
        $pid = getmypid() ?: 0;
        $safeHost = substr((string) preg_replace('#[^A-Za-z0-9\-_.:@/]#', '-', $hostname), 0, 150);
        $nodeId = sprintf('%s:%d:%s', $safeHost, $pid, bin2hex(random_bytes(4)));
        if ($service === '') {
            $script = $_SERVER['SCRIPT_FILENAME'] ?? $_SERVER['argv'][0] ?? '';
            $service = pathinfo((string) $script, PATHINFO_FILENAME) ?: 'php';
        }
        return (new NodeIdentity())
            ->setNodeId($nodeId)
            ->setService(substr($service, 0, self::MAX_ID_BYTES))
            ->setLanguage(self::LANGUAGE)
            ->setRuntime('PHP ' . PHP_VERSION)
            ->setSdkVersion('zenith-sdk-php ' . Version::SDK)
            ->setVersion($version)
            ->setPid($pid)
            ->setHostname($hostname)
            ->setPlatform(strtolower(PHP_OS_FAMILY) . '-' . php_uname('m'))
            ->setLabels($labels);
    }
}
