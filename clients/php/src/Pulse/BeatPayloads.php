<?php

declare(strict_types=1);

namespace Zenith\Pulse;

use Google\Protobuf\Descriptor;
use Google\Protobuf\DescriptorPool;
use Google\Protobuf\FieldDescriptor;
use Google\Protobuf\Internal\GPBType;
use Google\Protobuf\Internal\Message;
use Zenith\Exception\InvalidArgumentException;
use Zenith\V1\BeatPayload;

/**
 * Reads beats (`BeatPayload`) from their proto3 JSON or binary form, refusing what the server
 * refuses: not JSON, not a BeatPayload, or no identity (node id and service). Fields this
 * version does not know are ignored, as PULSE.md asks.
 */
final class BeatPayloads
{
    public static function fromJson(string $json): BeatPayload
    {
        try {
            $tree = json_decode($json, false, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $error) {
            throw new InvalidArgumentException('beat is not JSON: ' . $error->getMessage(), 0, $error);
        }
        if (!$tree instanceof \stdClass) {
            throw new InvalidArgumentException('beat is not a JSON object');
        }
        $beat = new BeatPayload();
        self::mergeJson($beat, $tree);
        return self::validated($beat);
    }

    public static function fromBinary(string $bytes): BeatPayload
    {
        $beat = new BeatPayload();
        try {
            $beat->mergeFromString($bytes);
        } catch (\Exception $error) {
            throw new InvalidArgumentException('beat is not a BeatPayload: ' . $error->getMessage(), 0, $error);
        }
        return self::validated($beat);
    }

    /**
     * Merges proto3 JSON (already decoded, objects as stdClass) into a message, ignoring unknown
     * fields. Timestamps are first written with nine fractional digits: Debian's protobuf 3.21
     * runtime reads `.678Z` as 678 nanoseconds instead of 678 milliseconds.
     */
    public static function mergeJson(Message $message, \stdClass $tree): void
    {
        $descriptor = DescriptorPool::getGeneratedPool()->getDescriptorByClassName(get_class($message));
        $normalized = $descriptor === null ? $tree : self::normalize($tree, $descriptor);
        try {
            $message->mergeFromJsonString(json_encode($normalized, JSON_THROW_ON_ERROR), true);
        } catch (\Exception $error) {
            throw new InvalidArgumentException('not a ' . get_class($message) . ': ' . $error->getMessage(), 0, $error);
        }
    }

    private static function validated(BeatPayload $beat): BeatPayload
    {
        $identity = $beat->getIdentity();
        if ($identity === null || $identity->getNodeId() === '' || $identity->getService() === '') {
            throw new InvalidArgumentException('beat has no identity (identity.nodeId and identity.service are required)');
        }
        return $beat;
    }

    private static function normalize(\stdClass $object, Descriptor $descriptor): \stdClass
    {
        $fields = [];
        for ($i = 0; $i < $descriptor->getFieldCount(); $i++) {
            $field = $descriptor->getField($i);
            $fields[$field->getName()] = $field;
            $fields[lcfirst(str_replace(' ', '', ucwords(str_replace('_', ' ', $field->getName()))))] = $field;
        }
        $out = new \stdClass();
        foreach (get_object_vars($object) as $key => $value) {
            $field = $fields[$key] ?? null;
            if ($field !== null) {
                $value = self::normalizeField($value, $field);
            }
            $out->{$key} = $value;
        }
        return $out;
    }

    private static function normalizeField(mixed $value, FieldDescriptor $field): mixed
    {
        if ($field->getType() !== GPBType::MESSAGE) {
            return $value;
        }
        if ($field->isMap()) {
            $valueField = $field->getMessageType()->getField(1);
            if ($value instanceof \stdClass) {
                foreach (get_object_vars($value) as $key => $item) {
                    $value->{$key} = self::normalizeValue($item, $valueField);
                }
            }
            return $value;
        }
        if (is_array($value)) {
            return array_map(static fn ($item) => self::normalizeValue($item, $field), $value);
        }
        return self::normalizeValue($value, $field);
    }

    private static function normalizeValue(mixed $value, FieldDescriptor $field): mixed
    {
        if ($field->getType() !== GPBType::MESSAGE) {
            return $value;
        }
        $type = $field->getMessageType();
        if ($type->getFullName() === 'google.protobuf.Timestamp' && is_string($value)) {
            return preg_replace_callback(
                '/^(.*T\d\d:\d\d:\d\d)\.(\d{1,9})(.*)$/',
                static fn (array $m): string => $m[1] . '.' . str_pad($m[2], 9, '0') . $m[3],
                $value,
            );
        }
        if ($value instanceof \stdClass && !str_starts_with($type->getFullName(), 'google.protobuf.')) {
            return self::normalize($value, $type);
        }
        return $value;
    }
}
