<?php

declare(strict_types=1);

namespace Zenith\Transport;

use Google\Protobuf\Internal\Message;
use Zenith\Exception\RpcException;
use Zenith\Status;

/**
 * gRPC over grpc-web (binary, `application/grpc-web+proto`) on HTTP/1.1 with curl: what PHP can
 * speak without the grpc extension. The server answers grpc-web on its gRPC port.
 *
 * Curl handles are kept and reused (keep-alive); a call made while another is in flight (from a
 * signal handler, say) takes a handle of its own.
 */
final class GrpcWebTransport
{
    /** @var list<\CurlHandle> */
    private array $idle = [];

    /**
     * @param string $baseUrl e.g. `http://127.0.0.1:7700`
     * @param array<string, string> $headers sent with every call, e.g. `x-zenith-actor`
     * @param float $connectTimeout seconds
     * @param float $timeout default deadline of a unary call, seconds
     */
    public function __construct(
        private readonly string $baseUrl,
        private readonly array $headers = [],
        private readonly float $connectTimeout = 5.0,
        private readonly float $timeout = 30.0,
    ) {
    }

    public function baseUrl(): string
    {
        return $this->baseUrl;
    }

    /**
     * Calls a unary method, e.g. `zenith.v1.QueueService/Enqueue`.
     *
     * @template T of Message
     * @param class-string<T> $responseClass
     * @return T
     * @throws RpcException
     */
    public function unary(string $method, Message $request, string $responseClass, ?float $timeout = null): Message
    {
        $response = null;
        $this->call($method, $request, $responseClass, function (Message $message) use (&$response): bool {
            $response = $message;
            return true;
        }, $timeout ?? $this->timeout);
        if ($response === null) {
            throw new RpcException(Status::INTERNAL, 'the answer carried no message', $method);
        }
        return $response;
    }

    /**
     * Calls a server-streaming method; `$onMessage` gets each message as its frame arrives and
     * returns false to stop (then this returns normally). Returns when the server ends the stream.
     *
     * @param class-string<Message> $responseClass
     * @param callable(Message): (bool|null) $onMessage
     * @param float|null $timeout seconds for the whole stream; null waits for as long as it runs
     * @throws RpcException
     */
    public function serverStream(string $method, Message $request, string $responseClass, callable $onMessage, ?float $timeout = null): void
    {
        $this->call($method, $request, $responseClass, $onMessage, $timeout);
    }

    /**
     * @param class-string<Message> $responseClass
     * @param callable(Message): (bool|null) $onMessage
     */
    private function call(string $method, Message $request, string $responseClass, callable $onMessage, ?float $timeout): void
    {
        $handle = array_pop($this->idle) ?? curl_init();
        $decoder = new FrameDecoder();
        $trailers = [];
        $headers = [];
        $stopped = false;
        $callbackError = null;
        $body = FrameDecoder::encode($request->serializeToString());

        $httpHeaders = [
            'Content-Type: application/grpc-web+proto',
            'Accept: application/grpc-web+proto',
            'X-Grpc-Web: 1',
            'X-User-Agent: zenith-php/' . \Zenith\Version::SDK,
            'Expect:',
        ];
        if ($timeout !== null) {
            $httpHeaders[] = 'Grpc-Timeout: ' . max(1, (int) ceil($timeout * 1000)) . 'm';
        }
        foreach ($this->headers as $name => $value) {
            $httpHeaders[] = $name . ': ' . $value;
        }

        curl_reset($handle);
        curl_setopt_array($handle, [
            CURLOPT_URL => rtrim($this->baseUrl, '/') . '/' . ltrim($method, '/'),
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $httpHeaders,
            CURLOPT_HTTP_VERSION => CURL_HTTP_VERSION_1_1,
            CURLOPT_CONNECTTIMEOUT_MS => (int) ($this->connectTimeout * 1000),
            CURLOPT_TIMEOUT_MS => $timeout === null ? 0 : (int) ($timeout * 1000) + 1000,
            CURLOPT_NOSIGNAL => true,
            CURLOPT_TCP_NODELAY => true,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$headers): int {
                $colon = strpos($line, ':');
                if ($colon !== false) {
                    $headers[strtolower(trim(substr($line, 0, $colon)))] = trim(substr($line, $colon + 1));
                }
                return strlen($line);
            },
            CURLOPT_WRITEFUNCTION => function ($ch, string $chunk) use ($decoder, &$trailers, &$stopped, &$callbackError, $responseClass, $onMessage): int {
                try {
                    foreach ($decoder->push($chunk) as [$flag, $bytes]) {
                        if (($flag & 0x80) !== 0) {
                            $trailers += FrameDecoder::parseTrailers($bytes);
                            continue;
                        }
                        if ($stopped) {
                            continue;
                        }
                        /** @var Message $message */
                        $message = new $responseClass();
                        $message->mergeFromString($bytes);
                        if ($onMessage($message) === false) {
                            $stopped = true;
                            return 0; // aborts the transfer
                        }
                    }
                } catch (\Throwable $error) {
                    $callbackError = $error;
                    return 0;
                }
                return strlen($chunk);
            },
        ]);

        $ok = curl_exec($handle);
        $errno = curl_errno($handle);
        $error = curl_error($handle);
        $httpStatus = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        if ($errno === 0 || $stopped) {
            $this->idle[] = $handle;
        } else {
            curl_close($handle);
        }

        if ($callbackError !== null) {
            throw $callbackError;
        }
        if ($stopped) {
            return;
        }
        if ($ok === false || $errno !== 0) {
            $code = match ($errno) {
                CURLE_OPERATION_TIMEDOUT => Status::DEADLINE_EXCEEDED,
                default => Status::UNAVAILABLE,
            };
            throw new RpcException($code, sprintf('%s (curl error %d) calling %s', $error, $errno, $this->baseUrl), $method);
        }
        // A trailers-only answer (errors, typically) carries grpc-status in the HTTP headers.
        $status = $trailers['grpc-status'] ?? $headers['grpc-status'] ?? null;
        $message = $trailers['grpc-message'] ?? $headers['grpc-message'] ?? '';
        if ($status === null) {
            $code = $httpStatus === 200 ? Status::INTERNAL : Status::fromHttp($httpStatus);
            throw RpcException::forStatus($code, sprintf('HTTP %d without grpc-status', $httpStatus), $method, $headers);
        }
        if ((int) $status !== Status::OK) {
            throw RpcException::forStatus((int) $status, rawurldecode($message), $method, $trailers + $headers);
        }
        if ($decoder->pending() > 0) {
            throw new RpcException(Status::INTERNAL, 'the answer ended inside a frame', $method);
        }
    }

    public function __destruct()
    {
        foreach ($this->idle as $handle) {
            curl_close($handle);
        }
    }
}
