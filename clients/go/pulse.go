package zenith

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// DefaultPulseInterval is how often a node beats unless told otherwise.
const DefaultPulseInterval = 5 * time.Second

const (
	minPulseInterval = time.Second
	maxPulseInterval = 5 * time.Minute
	maxListed        = 1000
	maxIDBytes       = 200
	maxBeatTimeout   = 10 * time.Second
)

// Language is the pulse identity's language for this SDK.
const Language = "go"

// DetectIdentity is the identity this process beats with: node id
// `<hostname>:<pid>:<random>`, service (the executable's name when empty), language "go",
// the Go version as runtime, this SDK's version, pid, hostname and `<os>-<arch>`.
func DetectIdentity(service string) *zenithv1.NodeIdentity {
	hostname, err := os.Hostname()
	if err != nil || hostname == "" {
		hostname = "unknown"
	}
	var random [4]byte
	_, _ = rand.Read(random[:])
	if service == "" {
		service = executableName()
	}
	return &zenithv1.NodeIdentity{
		NodeId:     fmt.Sprintf("%s:%d:%s", idSafe(hostname), os.Getpid(), hex.EncodeToString(random[:])),
		Service:    truncate(service, maxIDBytes),
		Language:   Language,
		Runtime:    runtime.Version(),
		SdkVersion: "zenith-sdk-go " + Version,
		Pid:        int64(os.Getpid()),
		Hostname:   hostname,
		Platform:   runtime.GOOS + "-" + runtime.GOARCH,
	}
}

// idSafe keeps a hostname to what node ids allow, at most 150 bytes.
func idSafe(hostname string) string {
	var b strings.Builder
	for _, c := range hostname {
		if b.Len() >= 150 {
			break
		}
		if c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:@/", c)) {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func executableName() string {
	exe, err := os.Executable()
	if err != nil {
		return "go"
	}
	name := strings.TrimSuffix(filepath.Base(exe), filepath.Ext(exe))
	if name == "" {
		return "go"
	}
	return truncate(name, maxIDBytes)
}

// ParseBeatPayload reads a beat in the proto3 JSON mapping (PULSE.md), as the Redis transport
// carries it. Unknown fields are ignored; a payload that is not JSON, not a BeatPayload, or
// without identity.node_id and identity.service is refused.
func ParseBeatPayload(data []byte) (*zenithv1.BeatPayload, error) {
	beat := &zenithv1.BeatPayload{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, beat); err != nil {
		return nil, fmt.Errorf("zenith: beat payload: %w", err)
	}
	if beat.GetIdentity().GetNodeId() == "" || beat.GetIdentity().GetService() == "" {
		return nil, errors.New("zenith: beat payload: identity.node_id and identity.service are required")
	}
	return beat, nil
}

// PulseAgent beats for this process every interval: its identity, process and system CPU,
// memory and disk, the jobs it runs (with their lease tokens, which keeps the leases alive)
// and whether it takes new work. It obeys the answers: CANCEL_JOB cancels a tracked job,
// QUIET holds a worker's reserving until RESUME. A [Worker] runs one by itself; start one for
// any other process with [StartPulse].
type PulseAgent struct {
	client   *Client
	identity *zenithv1.NodeIdentity
	interval time.Duration
	log      *slog.Logger
	started  time.Time

	mu       sync.Mutex
	jobs     map[string]*trackedJob
	queues   []string
	external []*zenithv1.ExternalQueue
	quiet    bool          // an operator asks for no new work
	quietCh  chan struct{} // closed and replaced when quiet changes
	draining bool

	beatNow   chan struct{}
	stop      chan struct{}
	done      chan struct{}
	startOnce sync.Once
	stopOnce  sync.Once
}

// PulseOption configures [StartPulse].
type PulseOption func(*pulseConfig)

type pulseConfig struct {
	service  string
	identity *zenithv1.NodeIdentity
	interval time.Duration
	queues   []string
	logger   *slog.Logger
}

// PulseService names the service (default: the executable's name).
func PulseService(service string) PulseOption { return func(c *pulseConfig) { c.service = service } }

// PulseWithIdentity beats with this identity instead of [DetectIdentity]'s.
func PulseWithIdentity(id *zenithv1.NodeIdentity) PulseOption {
	return func(c *pulseConfig) { c.identity = id }
}

// PulseEvery sets the interval, 1 s to 5 min (default 5 s).
func PulseEvery(d time.Duration) PulseOption { return func(c *pulseConfig) { c.interval = d } }

// PulseQueues lists the Zenith queues the process takes work from, for display.
func PulseQueues(queues ...string) PulseOption {
	return func(c *pulseConfig) { c.queues = append(c.queues, queues...) }
}

// PulseLogger sets where the agent logs (default slog.Default()).
func PulseLogger(l *slog.Logger) PulseOption { return func(c *pulseConfig) { c.logger = l } }

// StartPulse starts beating in the background until [PulseAgent.Stop].
func StartPulse(client *Client, opts ...PulseOption) *PulseAgent {
	cfg := pulseConfig{interval: DefaultPulseInterval}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.identity == nil {
		cfg.identity = DetectIdentity(cfg.service)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	a := newPulseAgent(client, cfg.identity, cfg.interval, cfg.queues, cfg.logger)
	a.start()
	return a
}

func newPulseAgent(client *Client, identity *zenithv1.NodeIdentity, interval time.Duration, queues []string, log *slog.Logger) *PulseAgent {
	interval = min(max(interval, minPulseInterval), maxPulseInterval)
	return &PulseAgent{
		client:   client,
		identity: identity,
		interval: interval,
		log:      log,
		started:  time.Now(),
		jobs:     map[string]*trackedJob{},
		queues:   queues,
		quietCh:  make(chan struct{}),
		beatNow:  make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

func (a *PulseAgent) start() { a.startOnce.Do(func() { go a.loop() }) }

// Identity is the identity the agent beats with.
func (a *PulseAgent) Identity() *zenithv1.NodeIdentity { return a.identity }

// NodeID is the node id the agent beats as.
func (a *PulseAgent) NodeID() string { return a.identity.GetNodeId() }

// SetQueues replaces the Zenith queues shown for this process.
func (a *PulseAgent) SetQueues(queues []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queues = queues
}

// SetExternalQueues replaces the queues of other systems (Laravel, BullMQ, SQS, …) the next
// beats report; at most 1,000 are sent.
func (a *PulseAgent) SetExternalQueues(queues []*zenithv1.ExternalQueue) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.external = queues
}

// QuietRequested reports whether an operator asks this node to take no new work.
func (a *PulseAgent) QuietRequested() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.quiet
}

// waitNotQuiet blocks while quiet is requested; false when ctx ended first.
func (a *PulseAgent) waitNotQuiet(ctx context.Context) bool {
	for {
		a.mu.Lock()
		quiet, changed := a.quiet, a.quietCh
		a.mu.Unlock()
		if !quiet {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
	}
}

// setDraining marks the node quiet because it shuts down and beats at once.
func (a *PulseAgent) setDraining() {
	a.mu.Lock()
	a.draining = true
	a.mu.Unlock()
	select {
	case a.beatNow <- struct{}{}:
	default:
	}
}

// Stop beats a last time when the agent is draining, stops beating and waits for the
// background loop to end.
func (a *PulseAgent) Stop() {
	a.stopOnce.Do(func() { close(a.stop) })
	a.startOnce.Do(func() { close(a.done) })
	<-a.done
}

type trackedJob struct {
	queue, jobID, leaseToken string
	startedAt                time.Time
	cancelled                chan struct{}
	once                     sync.Once
	mu                       sync.Mutex
	cancelReason             string
}

func (t *trackedJob) reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cancelReason
}

func (a *PulseAgent) trackJob(queue, jobID, leaseToken string) *trackedJob {
	t := &trackedJob{queue: queue, jobID: jobID, leaseToken: leaseToken, startedAt: time.Now(), cancelled: make(chan struct{})}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.jobs[jobID] = t
	return t
}

func (a *PulseAgent) untrackJob(t *trackedJob) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// A newer attempt of the same job may be tracked since; that one stays.
	if a.jobs[t.jobID] == t {
		delete(a.jobs, t.jobID)
	}
}

func (a *PulseAgent) loop() {
	defer close(a.done)
	collector := newCollector()
	timeout := min(a.interval, maxBeatTimeout)
	ticker := time.NewTicker(a.interval)
	defer ticker.Stop()
	beat := func() {
		payload := a.payload(collector)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		resp, err := a.client.pulse.Beat(ctx, &zenithv1.BeatRequest{Beat: payload})
		if err != nil {
			a.log.Debug("zenith: beat failed; retrying next interval", "error", wrap("beat", err))
			return
		}
		a.apply(resp)
	}
	beat()
	for {
		select {
		case <-a.stop:
			a.mu.Lock()
			draining := a.draining
			a.mu.Unlock()
			if draining {
				beat()
			}
			return
		case <-a.beatNow:
			ticker.Reset(a.interval)
		case <-ticker.C:
		}
		beat()
	}
}

func (a *PulseAgent) payload(c *collector) *zenithv1.BeatPayload {
	proc, sys := c.collect()
	a.mu.Lock()
	defer a.mu.Unlock()
	jobs := make([]*zenithv1.CurrentJob, 0, len(a.jobs))
	for _, t := range a.jobs {
		if len(jobs) >= maxListed {
			break
		}
		jobs = append(jobs, &zenithv1.CurrentJob{Queue: t.queue, JobId: t.jobID, LeaseToken: t.leaseToken, StartedAt: timestamppb.New(t.startedAt)})
	}
	external := a.external
	if len(external) > maxListed {
		external = external[:maxListed]
	}
	return &zenithv1.BeatPayload{
		Identity:       a.identity,
		SentAt:         timestamppb.Now(),
		Interval:       durationpb.New(a.interval),
		Process:        proc,
		System:         sys,
		Uptime:         durationpb.New(time.Since(a.started)),
		Jobs:           jobs,
		ExternalQueues: external,
		Queues:         a.queues,
		Quiet:          a.draining || a.quiet,
	}
}

// apply carries out a beat's instructions; unknown kinds are ignored. An answer without QUIET
// withdraws an earlier one, so a lost RESUME cannot leave the node idle.
func (a *PulseAgent) apply(resp *zenithv1.BeatResponse) {
	quiet := false
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, in := range resp.GetInstructions() {
		switch in.GetKind() {
		case zenithv1.NodeInstructionKind_NODE_INSTRUCTION_KIND_CANCEL_JOB:
			if t := a.jobs[in.GetJobId()]; t != nil {
				t.once.Do(func() {
					a.log.Info("zenith: job cancelled by an operator", "job_id", in.GetJobId(), "reason", in.GetReason())
					t.mu.Lock()
					t.cancelReason = in.GetReason()
					t.mu.Unlock()
					close(t.cancelled)
				})
			}
		case zenithv1.NodeInstructionKind_NODE_INSTRUCTION_KIND_QUIET:
			quiet = true
		case zenithv1.NodeInstructionKind_NODE_INSTRUCTION_KIND_RESUME:
		}
	}
	if quiet != a.quiet {
		if quiet {
			a.log.Info("zenith: quiet requested; taking no new work")
		} else {
			a.log.Info("zenith: quiet withdrawn; taking work again")
		}
		a.quiet = quiet
		close(a.quietCh)
		a.quietCh = make(chan struct{})
	}
}

// collector reads process and system figures; CPU percentages are over the time since the
// previous read.
type collector struct {
	proc *process.Process
	wd   string
}

func newCollector() *collector {
	c := &collector{}
	c.proc, _ = process.NewProcess(int32(os.Getpid()))
	c.wd, _ = os.Getwd()
	if c.proc != nil {
		_, _ = c.proc.Percent(0) // primes the CPU measurement
	}
	_, _ = cpu.Percent(0, false)
	return c
}

func (c *collector) collect() (*zenithv1.ProcessStats, *zenithv1.SystemStats) {
	proc := &zenithv1.ProcessStats{}
	if c.proc != nil {
		if p, err := c.proc.Percent(0); err == nil {
			proc.CpuPercent = p
		}
		if m, err := c.proc.MemoryInfo(); err == nil {
			proc.MemoryRssBytes = m.RSS
		}
		if n, err := c.proc.NumThreads(); err == nil {
			proc.Threads = uint32(n)
		}
		if n, err := c.proc.NumFDs(); err == nil {
			proc.OpenFiles = uint32(n)
		}
	}
	sys := &zenithv1.SystemStats{}
	if p, err := cpu.Percent(0, false); err == nil && len(p) > 0 {
		sys.CpuPercent = p[0]
	}
	if n, err := cpu.Counts(true); err == nil {
		sys.CpuCores = uint32(n)
	}
	if m, err := mem.VirtualMemory(); err == nil {
		sys.MemoryTotalBytes, sys.MemoryUsedBytes = m.Total, m.Used
	}
	if c.wd != "" {
		if d, err := disk.Usage(c.wd); err == nil {
			sys.DiskTotalBytes, sys.DiskUsedBytes = d.Total, d.Used
		}
	}
	if l, err := load.Avg(); err == nil {
		sys.LoadAverage_1M = l.Load1
	}
	return proc, sys
}
