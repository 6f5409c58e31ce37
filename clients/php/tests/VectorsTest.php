<?php

declare(strict_types=1);

namespace Zenith\Tests;

use PHPUnit\Framework\TestCase;
use Zenith\Client;
use Zenith\Exception\InvalidArgumentException;
use Zenith\Payload;
use Zenith\Pulse\BeatPayloads;
use Zenith\V1\EnqueueRequest;

/**
 * The shared conformance vectors of tests/vectors/ (see the READMEs there).
 */
final class VectorsTest extends TestCase
{
    private static function dir(string $kind): string
    {
        return dirname(__DIR__, 3) . '/tests/vectors/' . $kind;
    }

    /** @return array<string, array{string}> */
    public static function pulseVectors(): array
    {
        $cases = [];
        foreach (glob(self::dir('pulse') . '/*.json') ?: [] as $file) {
            if (!str_starts_with(basename($file), 'invalid-')) {
                $cases[basename($file, '.json')] = [$file];
            }
        }
        return $cases;
    }

    /** @return array<string, array{string}> */
    public static function invalidPulseVectors(): array
    {
        $cases = [];
        foreach (glob(self::dir('pulse') . '/invalid-*.json') ?: [] as $file) {
            $cases[basename($file, '.json')] = [$file];
        }
        return $cases;
    }

    /** @return array<string, array{string}> */
    public static function jobVectors(): array
    {
        $cases = [];
        foreach (glob(self::dir('jobs') . '/*.json') ?: [] as $file) {
            $cases[basename($file, '.json')] = [$file];
        }
        return $cases;
    }

    public function testVectorsArePresent(): void
    {
        self::assertGreaterThanOrEqual(3, count(self::pulseVectors()));
        self::assertGreaterThanOrEqual(2, count(self::invalidPulseVectors()));
        self::assertGreaterThanOrEqual(4, count(self::jobVectors()));
    }

    /** @dataProvider pulseVectors */
    public function testPulseJsonAndBinaryDecodeToEqualBeats(string $file): void
    {
        $fromJson = BeatPayloads::fromJson((string) file_get_contents($file));
        $fromBinary = BeatPayloads::fromBinary((string) file_get_contents(substr($file, 0, -5) . '.binpb'));
        self::assertEquals($fromBinary, $fromJson);
        // Byte-equal too, with maps in the same order.
        $fromJson->discardUnknownFields();
        $fromBinary->discardUnknownFields();
        self::assertSame(self::canonical($fromBinary->serializeToJsonString()), self::canonical($fromJson->serializeToJsonString()));
    }

    public function testFractionalTimestampsKeepTheirMilliseconds(): void
    {
        $beat = BeatPayloads::fromJson((string) file_get_contents(self::dir('pulse') . '/full.json'));
        self::assertSame(678000000, $beat->getSentAt()->getNanos());
    }

    /** @dataProvider invalidPulseVectors */
    public function testInvalidPulseVectorsAreRefused(string $file): void
    {
        $this->expectException(InvalidArgumentException::class);
        BeatPayloads::fromJson((string) file_get_contents($file));
    }

    /** @dataProvider jobVectors */
    public function testEnqueueRequestsMatchTheVectors(string $file): void
    {
        $vector = json_decode((string) file_get_contents($file), false, 512, JSON_THROW_ON_ERROR);
        $input = $vector->input;
        $payload = null;
        if (property_exists($input, 'json')) {
            $payload = $input->json;
        } elseif (property_exists($input, 'bytes_base64')) {
            $payload = Payload::bytes((string) base64_decode($input->bytes_base64, true), $input->content_type ?? '');
        }
        $options = property_exists($input, 'options') ? json_decode((string) json_encode($input->options), true) : [];
        $built = Client::buildEnqueueRequest($input->queue, $input->type, $payload, $options);

        $expected = new EnqueueRequest();
        $expected->mergeFromString((string) file_get_contents(substr($file, 0, -5) . '.binpb'));
        self::assertEquals($expected, $built);
        self::assertSame($expected->getJob()->getPayload(), $built->getJob()->getPayload());
    }

    public function testJsonPayloadsAreCompactUtf8AndUnescaped(): void
    {
        $payload = Payload::json(['name' => 'Zoë </b> & co/op', 'n' => 1]);
        self::assertSame('{"name":"Zoë </b> & co/op","n":1}', $payload->bytes);
        self::assertSame('application/json', $payload->contentType);
    }

    private static function canonical(string $json): string
    {
        $sort = static function (mixed $value) use (&$sort): mixed {
            if (is_array($value)) {
                if (!array_is_list($value)) {
                    ksort($value);
                }
                return array_map($sort, $value);
            }
            return $value;
        };
        return (string) json_encode($sort(json_decode($json, true)));
    }
}
