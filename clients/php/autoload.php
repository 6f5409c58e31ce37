<?php

/**
 * PSR-4 autoloader for the Zenith PHP SDK, for installs without Composer.
 *
 * Maps `Zenith\` to src/, the generated `Zenith\V1\` and `GPBMetadata\Zenith\` to gen/, and the
 * protobuf runtime (`Google\Protobuf\`, `GPBMetadata\Google\`) and PSR-3 (`Psr\Log\`) to
 * Debian's packages under /usr/share/php (php-google-protobuf, php-psr-log) unless Composer or
 * the protobuf C extension already provide them.
 */

declare(strict_types=1);

(static function (): void {
    $here = __DIR__;
    $system = '/usr/share/php';
    // Longest prefix first, so Zenith\V1\ wins over Zenith\.
    $prefixes = [
        'GPBMetadata\\Zenith\\' => [$here . '/gen/GPBMetadata/Zenith'],
        'GPBMetadata\\Google\\' => [$system . '/GPBMetadata/Google'],
        'Google\\Protobuf\\' => [$system . '/Google/Protobuf'],
        'Zenith\\V1\\' => [$here . '/gen/Zenith/V1'],
        'Psr\\Log\\' => [$system . '/Psr/Log'],
        'Zenith\\' => [$here . '/src'],
    ];
    spl_autoload_register(static function (string $class) use ($prefixes): void {
        foreach ($prefixes as $prefix => $dirs) {
            if (!str_starts_with($class, $prefix)) {
                continue;
            }
            $relative = str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            foreach ($dirs as $dir) {
                $file = $dir . '/' . $relative;
                if (is_file($file)) {
                    require $file;
                    return;
                }
            }
        }
    });
})();
