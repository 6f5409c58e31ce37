<?php

declare(strict_types=1);

namespace Zenith\Pulse;

use Zenith\V1\ProcessStats;
use Zenith\V1\SystemStats;

/**
 * Reads process and system CPU, memory and disk, from /proc on Linux (what is missing elsewhere
 * stays 0). CPU percentages are over the time since the previous reading.
 */
final class Stats
{
    private ?float $lastAt = null;
    private ?float $lastProcessCpu = null;
    /** @var array{0: float, 1: float}|null busy and total jiffies */
    private ?array $lastSystem = null;

    /** @param int $pid the process to describe (the worker's, also when a child beats for it) */
    public function __construct(private readonly int $pid, private readonly string $diskPath = '.')
    {
    }

    public function process(): ProcessStats
    {
        $stats = new ProcessStats();
        $now = microtime(true);
        $cpu = $this->processCpuSeconds();
        if ($cpu !== null && $this->lastProcessCpu !== null && $this->lastAt !== null && $now > $this->lastAt) {
            $stats->setCpuPercent(max(0.0, ($cpu - $this->lastProcessCpu) / ($now - $this->lastAt) * 100));
        }
        $this->lastProcessCpu = $cpu;
        $this->lastAt = $now;
        $status = @file_get_contents("/proc/{$this->pid}/status");
        if ($status !== false) {
            if (preg_match('/^VmRSS:\s+(\d+) kB/m', $status, $m)) {
                $stats->setMemoryRssBytes((int) $m[1] * 1024);
            }
            if (preg_match('/^Threads:\s+(\d+)/m', $status, $m)) {
                $stats->setThreads((int) $m[1]);
            }
        } elseif ($this->pid === getmypid()) {
            $stats->setMemoryRssBytes(memory_get_usage(true));
            $stats->setThreads(1);
        }
        $fds = @scandir("/proc/{$this->pid}/fd");
        if ($fds !== false) {
            $stats->setOpenFiles(max(0, count($fds) - 2));
        }
        return $stats;
    }

    public function system(): SystemStats
    {
        $stats = new SystemStats();
        $stats->setCpuCores(self::cores());
        $stat = @file_get_contents('/proc/stat');
        if ($stat !== false && preg_match('/^cpu\s+(.+)$/m', $stat, $m)) {
            $fields = array_map('floatval', preg_split('/\s+/', trim($m[1])) ?: []);
            $idle = ($fields[3] ?? 0) + ($fields[4] ?? 0);
            $total = array_sum(array_slice($fields, 0, 8));
            if ($this->lastSystem !== null && $total > $this->lastSystem[1]) {
                $busy = ($total - $idle) - $this->lastSystem[0];
                $stats->setCpuPercent(max(0.0, min(100.0, $busy / ($total - $this->lastSystem[1]) * 100)));
            }
            $this->lastSystem = [$total - $idle, $total];
        }
        $meminfo = @file_get_contents('/proc/meminfo');
        if ($meminfo !== false && preg_match('/^MemTotal:\s+(\d+)/m', $meminfo, $t)) {
            $total = (int) $t[1] * 1024;
            $available = preg_match('/^MemAvailable:\s+(\d+)/m', $meminfo, $a) ? (int) $a[1] * 1024 : 0;
            $stats->setMemoryTotalBytes($total);
            $stats->setMemoryUsedBytes(max(0, $total - $available));
        }
        $diskTotal = @disk_total_space($this->diskPath);
        $diskFree = @disk_free_space($this->diskPath);
        if ($diskTotal !== false && $diskFree !== false) {
            $stats->setDiskTotalBytes((int) $diskTotal);
            $stats->setDiskUsedBytes((int) max(0, $diskTotal - $diskFree));
        }
        $load = function_exists('sys_getloadavg') ? sys_getloadavg() : false;
        if ($load !== false) {
            $stats->setLoadAverage1m((float) $load[0]);
        }
        return $stats;
    }

    private function processCpuSeconds(): ?float
    {
        $stat = @file_get_contents("/proc/{$this->pid}/stat");
        if ($stat !== false) {
            // Fields after the command name, which may hold spaces: state is field 3, utime 14.
            $rest = substr($stat, (int) strrpos($stat, ')') + 2);
            $fields = explode(' ', $rest);
            $ticks = 100.0; // USER_HZ on Linux
            return ((float) ($fields[11] ?? 0) + (float) ($fields[12] ?? 0)) / $ticks;
        }
        if ($this->pid === getmypid() && function_exists('getrusage')) {
            $usage = getrusage();
            return $usage['ru_utime.tv_sec'] + $usage['ru_utime.tv_usec'] / 1e6
                + $usage['ru_stime.tv_sec'] + $usage['ru_stime.tv_usec'] / 1e6;
        }
        return null;
    }

    private static function cores(): int
    {
        static $cores = null;
        if ($cores === null) {
            $cpuinfo = @file_get_contents('/proc/cpuinfo');
            $cores = $cpuinfo !== false ? max(1, preg_match_all('/^processor\s*:/m', $cpuinfo)) : 1;
        }
        return $cores;
    }
}
