package zenith

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// The server's limits on Fail's fields.
const (
	maxErrorBytes      = 64 * 1024
	maxStackTraceBytes = 256 * 1024
)

// HandlerFunc runs one job. Returning nil acks the job (with the result set by
// [Job.SetResult]); returning an error fails the attempt (retried with backoff unless
// [Permanent]); a panic fails it with the panic's message and stack trace. ctx is cancelled
// when the job must stop: context.Cause(ctx) is a [*CancelledError], a [*TimeoutError] or
// [ErrLeaseLost]. Shutting the worker down does not cancel it: running jobs finish.
type HandlerFunc func(ctx context.Context, job *Job) error

// Worker reserves jobs from its queues, runs each with the handler of its type, keeps its
// lease alive, and acks or fails it. Create one with [NewWorker], add handlers with
// [Worker.Handle], then [Worker.Run].
type Worker struct {
	client   *Client
	cfg      workerConfig
	handlers map[string]HandlerFunc
	fallback HandlerFunc
	log      *slog.Logger
	pulse    *PulseAgent
	running  sync.WaitGroup
	ran      atomic.Bool
}

type workerConfig struct {
	queues        []string
	concurrency   int
	lease         time.Duration
	pollWait      time.Duration
	workerID      string
	cancelGrace   time.Duration
	ackBatch      int
	ackLinger     time.Duration
	pulse         bool
	service       string
	identity      *zenithv1.NodeIdentity
	pulseInterval time.Duration
	logger        *slog.Logger
	retryMax      time.Duration
}

// WorkerOption configures a [Worker].
type WorkerOption func(*workerConfig)

// Queues adds queues to reserve from, earlier ones first.
func Queues(queues ...string) WorkerOption {
	return func(c *workerConfig) { c.queues = append(c.queues, queues...) }
}

// Concurrency sets how many jobs run at once (default 10).
func Concurrency(n int) WorkerOption { return func(c *workerConfig) { c.concurrency = n } }

// Lease sets the lease asked for on reserve and on every extension, 1 s to 1 h (default 30 s).
// The lease is extended every third of it while a handler runs.
func Lease(d time.Duration) WorkerOption { return func(c *workerConfig) { c.lease = d } }

// PollWait sets how long one reserve waits on the server when nothing is ready (default 5 s);
// a shutdown waits at most this long for the reserve in flight.
func PollWait(d time.Duration) WorkerOption { return func(c *workerConfig) { c.pollWait = d } }

// WorkerID sets the id the server shows for this worker (default go-<pid>).
func WorkerID(id string) WorkerOption { return func(c *workerConfig) { c.workerID = id } }

// CancelGrace sets how long a handler gets to return once its context is cancelled before the
// worker reports the attempt and moves on without it (default 5 s).
func CancelGrace(d time.Duration) WorkerOption { return func(c *workerConfig) { c.cancelGrace = d } }

// AckBatching sends acks together: up to max per call, waiting at most linger for more
// (default 100 and 5 ms).
func AckBatching(max int, linger time.Duration) WorkerOption {
	return func(c *workerConfig) { c.ackBatch, c.ackLinger = max, linger }
}

// Service names the service this worker's beats report (default: the executable's name).
func Service(service string) WorkerOption { return func(c *workerConfig) { c.service = service } }

// PulseIdentity beats with this identity, e.g. the one a [LogShipper] tags lines with.
func PulseIdentity(id *zenithv1.NodeIdentity) WorkerOption {
	return func(c *workerConfig) { c.identity = id }
}

// PulseInterval sets how often the worker beats, 1 s to 5 min (default 5 s).
func PulseInterval(d time.Duration) WorkerOption {
	return func(c *workerConfig) { c.pulseInterval = d }
}

// WithoutPulse runs without a pulse agent: the worker is not listed among the nodes and
// operators cannot quiet it; leases are kept alive by ExtendLease alone.
func WithoutPulse() WorkerOption { return func(c *workerConfig) { c.pulse = false } }

// WithLogger sets where the worker logs (default slog.Default()). Lines about a job are logged
// with the job's context, so a [LogShipper] handler tags them with the job.
func WithLogger(l *slog.Logger) WorkerOption { return func(c *workerConfig) { c.logger = l } }

// RetryBackoffMax caps the wait between retries of an unreachable server (default 10 s).
func RetryBackoffMax(d time.Duration) WorkerOption { return func(c *workerConfig) { c.retryMax = d } }

// NewWorker configures a worker; it needs at least one queue.
func NewWorker(client *Client, opts ...WorkerOption) (*Worker, error) {
	cfg := workerConfig{
		concurrency:   10,
		lease:         30 * time.Second,
		pollWait:      5 * time.Second,
		workerID:      fmt.Sprintf("go-%d", os.Getpid()),
		cancelGrace:   5 * time.Second,
		ackBatch:      100,
		ackLinger:     5 * time.Millisecond,
		pulse:         true,
		pulseInterval: DefaultPulseInterval,
		retryMax:      10 * time.Second,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	switch {
	case len(cfg.queues) == 0:
		return nil, &InvalidArgumentError{Reason: "worker needs at least one queue"}
	case cfg.concurrency < 1:
		return nil, &InvalidArgumentError{Reason: "worker concurrency must be at least 1"}
	case cfg.lease < time.Second || cfg.lease > time.Hour:
		return nil, &InvalidArgumentError{Reason: "lease must be from 1s to 1h"}
	case cfg.pollWait < 0 || cfg.pollWait > time.Minute:
		return nil, &InvalidArgumentError{Reason: "poll wait must be from 0 to 60s"}
	}
	cfg.ackBatch = max(1, min(cfg.ackBatch, maxBatch))
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	w := &Worker{client: client, cfg: cfg, handlers: map[string]HandlerFunc{}, log: cfg.logger}
	if cfg.pulse {
		identity := cfg.identity
		if identity == nil {
			identity = DetectIdentity(cfg.service)
		}
		w.pulse = newPulseAgent(client, identity, cfg.pulseInterval, cfg.queues, cfg.logger)
	}
	return w, nil
}

// Handle runs h for jobs of jobType. Call before Run.
func (w *Worker) Handle(jobType string, h HandlerFunc) { w.handlers[jobType] = h }

// Fallback runs h for jobs of types without a handler; without one such jobs fail without
// retry.
func (w *Worker) Fallback(h HandlerFunc) { w.fallback = h }

// NodeID is the node id the worker beats as; empty without a pulse agent.
func (w *Worker) NodeID() string {
	if w.pulse == nil {
		return ""
	}
	return w.pulse.NodeID()
}

// Pulse is the worker's pulse agent, nil without one.
func (w *Worker) Pulse() *PulseAgent { return w.pulse }

// Run works until ctx is done, then stops reserving, lets the running jobs finish, acks them,
// beats quiet and returns nil. It returns early with an error only when the server refuses the
// worker's requests for good (a bad queue name, say). While the server is unreachable it
// retries with backoff. Use [SignalContext] to stop on SIGINT/SIGTERM. Run a worker once.
func (w *Worker) Run(ctx context.Context) error {
	if len(w.handlers) == 0 && w.fallback == nil {
		return &InvalidArgumentError{Reason: "worker needs a handler or a fallback"}
	}
	if w.ran.Swap(true) {
		return &InvalidArgumentError{Reason: "a worker runs once; create a new one"}
	}
	// Jobs and acks outlive ctx: a shutdown lets them finish.
	jobsCtx := context.WithoutCancel(ctx)
	acks := newAcker(w.client, w.cfg.ackBatch, w.cfg.ackLinger, w.log)
	if w.pulse != nil {
		w.pulse.start()
	}
	w.log.InfoContext(ctx, "zenith worker started", "queues", w.cfg.queues, "concurrency", w.cfg.concurrency,
		"worker_id", w.cfg.workerID, "node_id", w.NodeID())

	slots := make(chan struct{}, w.cfg.concurrency)
	for range w.cfg.concurrency {
		slots <- struct{}{}
	}
	retry := newBackoff(200*time.Millisecond, w.cfg.retryMax)
	var result error
loop:
	for {
		if ctx.Err() != nil {
			break
		}
		if w.pulse != nil {
			if !w.pulse.waitNotQuiet(ctx) {
				break
			}
		}
		select {
		case <-ctx.Done():
			break loop
		case <-slots:
		}
		held := 1
	more:
		for {
			select {
			case <-slots:
				held++
			default:
				break more
			}
		}
		req := &zenithv1.ReserveRequest{
			Queues:   w.cfg.queues,
			MaxJobs:  int32(min(held, maxBatch)),
			Wait:     durationpb.New(w.cfg.pollWait),
			Lease:    durationpb.New(w.cfg.lease),
			WorkerId: w.cfg.workerID,
		}
		// A reserve in flight is never cut short by shutdown: the jobs it reserved would sit
		// leased to nobody until their lease ran out.
		callCtx, cancel := context.WithTimeout(jobsCtx, w.cfg.pollWait+30*time.Second)
		resp, err := w.client.worker.Reserve(callCtx, req)
		cancel()
		if err != nil {
			for range held {
				slots <- struct{}{}
			}
			err = wrap("reserve", err)
			if isFatal(err) {
				w.log.ErrorContext(ctx, "zenith: reserve refused; worker stopping", "error", err)
				result = err
				break
			}
			delay := retry.next()
			w.log.WarnContext(ctx, "zenith: reserve failed; retrying", "error", err, "retry_in", delay)
			select {
			case <-ctx.Done():
			case <-time.After(delay):
			}
			continue
		}
		retry.reset()
		for _, reserved := range resp.GetJobs() {
			if held == 0 {
				w.log.ErrorContext(ctx, "zenith: server returned more jobs than asked for")
				break
			}
			held--
			w.running.Add(1)
			go func() {
				defer func() { slots <- struct{}{} }()
				defer w.running.Done()
				w.runJob(jobsCtx, reserved, acks)
			}()
		}
		for range held {
			slots <- struct{}{}
		}
	}
	if result == nil {
		w.log.InfoContext(jobsCtx, "zenith worker shutting down; finishing running jobs")
	}
	if w.pulse != nil {
		w.pulse.setDraining()
	}
	w.running.Wait()
	acks.close()
	if w.pulse != nil {
		w.pulse.Stop()
	}
	w.log.InfoContext(jobsCtx, "zenith worker stopped")
	return result
}

// isFatal: errors retrying cannot fix, the worker's own request is wrong or not allowed.
func isFatal(err error) bool {
	switch Code(err) {
	case codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated, codes.Unimplemented:
		return true
	}
	return false
}

// outcome of one attempt.
type outcome struct {
	err       error  // nil: completed
	stack     string // with err
	permanent bool
	abandoned bool // the lease is gone: report nothing
}

func (w *Worker) runJob(base context.Context, reserved *zenithv1.ReservedJob, acks *acker) {
	receivedAt := time.Now()
	proto := reserved.GetJob()
	if proto == nil {
		w.log.Error("zenith: reserve answer without a job; skipping it")
		return
	}
	job := &Job{Proto: proto, leaseToken: reserved.GetLeaseToken()}
	ctx, cancel := context.WithCancelCause(context.WithValue(base, jobKey{}, job))
	defer cancel(nil)

	handler := w.handlers[job.Type()]
	if handler == nil {
		handler = w.fallback
	}
	if handler == nil {
		w.report(ctx, job, outcome{err: fmt.Errorf("no handler for job type %q", job.Type()), permanent: true})
		return
	}

	var tracked *trackedJob
	if w.pulse != nil {
		tracked = w.pulse.trackJob(job.Queue(), job.ID(), job.leaseToken)
		defer w.pulse.untrackJob(tracked)
	}

	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{err: fmt.Errorf("handler panicked: %v", r), stack: string(debug.Stack())}
			}
		}()
		if err := handler(ctx, job); err != nil {
			done <- outcome{err: err, stack: stackTraceOf(err), permanent: IsPermanent(err)}
			return
		}
		done <- outcome{}
	}()

	var result outcome
	select {
	case result = <-done:
	case end := <-w.keepLease(ctx, job, reserved, receivedAt, tracked):
		cancel(end)
		select {
		case <-done:
		case <-time.After(w.cfg.cancelGrace):
			w.log.WarnContext(ctx, "zenith: handler ignored cancellation; abandoning it", "grace", w.cfg.cancelGrace)
		}
		if errors.Is(end, ErrLeaseLost) {
			w.log.WarnContext(ctx, "zenith: lease lost; job abandoned", "reason", end)
			result = outcome{abandoned: true}
		} else {
			// Failing a job whose cancellation was requested ends it cancelled.
			result = outcome{err: end}
		}
	}
	if result.abandoned {
		return
	}
	if result.err != nil {
		w.report(ctx, job, result)
		return
	}
	res := job.takeResult()
	if len(res) > w.client.maxPayload {
		w.report(ctx, job, outcome{err: fmt.Errorf("result of %d bytes is over the limit of %d bytes", len(res), w.client.maxPayload)})
		return
	}
	acks.send(&zenithv1.JobAck{Queue: job.Queue(), JobId: job.ID(), LeaseToken: job.leaseToken, Result: res})
}

type leaseLostError struct{ reason string }

func (e *leaseLostError) Error() string { return "zenith: lease lost: " + e.reason }
func (e *leaseLostError) Is(target error) bool {
	return target == ErrLeaseLost
}

// keepLease extends the lease every lease/3 while the handler runs; the channel gets the
// reason the job must stop (an operator's cancellation, the timeout, a lost lease). It ends
// with ctx.
func (w *Worker) keepLease(ctx context.Context, job *Job, reserved *zenithv1.ReservedJob, receivedAt time.Time, tracked *trackedJob) <-chan error {
	out := make(chan error, 1)
	lease := w.cfg.lease
	interval := lease / 3
	var hardDeadline <-chan time.Time
	var timeoutText string
	timeoutTimer := time.NewTimer(time.Hour)
	timeoutTimer.Stop()
	if t := job.Proto.GetTimeout().AsDuration(); job.Proto.GetTimeout() != nil && t > 0 {
		// The attempt started on the server before the answer arrived, so a deadline counted
		// from receipt is at or a little after the server's.
		timeoutText = t.String()
		timeoutTimer.Reset(time.Until(receivedAt.Add(t)))
		hardDeadline = timeoutTimer.C
	}
	leaseUntil := receivedAt.Add(lease)
	if d := reserved.GetLeaseDeadline(); d != nil {
		leaseUntil = d.AsTime()
	}
	var cancelled <-chan struct{}
	if tracked != nil {
		cancelled = tracked.cancelled
	}
	go func() {
		extend := time.NewTimer(time.Until(receivedAt.Add(interval)))
		defer extend.Stop()
		defer timeoutTimer.Stop()
		extendC := extend.C
		for {
			select {
			case <-ctx.Done():
				return
			case <-hardDeadline:
				out <- &TimeoutError{Timeout: timeoutText}
				return
			case <-cancelled:
				out <- &CancelledError{Reason: tracked.reason()}
				return
			case <-extendC:
				askedAt := time.Now()
				callCtx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
				resp, err := w.client.worker.ExtendLease(callCtx, &zenithv1.ExtendLeaseRequest{
					Queue: job.Queue(), JobId: job.ID(), LeaseToken: job.leaseToken,
					Extension: durationpb.New(lease),
				})
				cancel()
				if ctx.Err() != nil {
					return
				}
				switch {
				case err == nil && resp.GetCancelRequested():
					out <- &CancelledError{Reason: resp.GetCancelReason()}
					return
				case err == nil:
					leaseUntil = askedAt.Add(lease)
					if d := resp.GetLeaseDeadline(); d != nil {
						leaseUntil = d.AsTime()
					}
					if resp.GetCapped() {
						// The timeout caps the lease: at its end the attempt is over.
						extendC = nil
						if hardDeadline == nil {
							timeoutText = "its timeout"
							timeoutTimer.Reset(time.Until(leaseUntil))
							hardDeadline = timeoutTimer.C
						}
						continue
					}
					extend.Reset(time.Until(askedAt.Add(interval)))
				default:
					code := Code(wrap("extend lease", err))
					if code == codes.FailedPrecondition || code == codes.NotFound {
						out <- &leaseLostError{reason: err.Error()}
						return
					}
					if time.Now().After(leaseUntil) {
						out <- &leaseLostError{reason: "lease ran out while extending failed: " + err.Error()}
						return
					}
					w.log.WarnContext(ctx, "zenith: extend lease failed; retrying", "error", wrap("extend lease", err))
					extend.Reset(min(interval, time.Second))
				}
			}
		}
	}()
	return out
}

// report fails the attempt, retrying while the server is unreachable.
func (w *Worker) report(ctx context.Context, job *Job, o outcome) {
	req := &zenithv1.FailRequest{
		Queue:      job.Queue(),
		JobId:      job.ID(),
		LeaseToken: job.leaseToken,
		Error:      truncate(o.err.Error(), maxErrorBytes),
		StackTrace: truncate(o.stack, maxStackTraceBytes),
	}
	if o.permanent {
		f := false
		req.Retryable = &f
	}
	base := context.WithoutCancel(ctx)
	retry := newBackoff(100*time.Millisecond, 5*time.Second)
	for range 10 {
		callCtx, cancel := context.WithTimeout(base, 30*time.Second)
		resp, err := w.client.worker.Fail(callCtx, req)
		cancel()
		if err == nil {
			w.log.InfoContext(ctx, "zenith: job failed", "state", resp.GetState().String(), "error", o.err.Error())
			return
		}
		err = wrap("fail", err)
		switch {
		case Code(err) == codes.FailedPrecondition:
			w.log.WarnContext(ctx, "zenith: stale lease on fail; the job was redelivered", "error", err)
			return
		case IsTransient(err):
			delay := retry.next()
			w.log.WarnContext(ctx, "zenith: fail call failed; retrying", "error", err, "retry_in", delay)
			time.Sleep(delay)
		default:
			w.log.ErrorContext(ctx, "zenith: fail refused", "error", err)
			return
		}
	}
	w.log.ErrorContext(ctx, "zenith: giving up reporting the failure; the lease will expire")
}

// truncate cuts text to at most n bytes at a UTF-8 boundary.
func truncate(text string, n int) string {
	if len(text) <= n {
		return text
	}
	for n > 0 && !utf8RuneStart(text[n]) {
		n--
	}
	return text[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// retryBackoff: exponential with jitter on the upper half.
type retryBackoff struct {
	base, max time.Duration
	attempt   int
}

func newBackoff(base, max time.Duration) *retryBackoff { return &retryBackoff{base: base, max: max} }

func (b *retryBackoff) next() time.Duration {
	ceiling := min(b.base<<min(b.attempt, 16), b.max)
	b.attempt++
	half := ceiling / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func (b *retryBackoff) reset() { b.attempt = 0 }

// acker sends acks in batches.
type acker struct {
	client *Client
	ch     chan *zenithv1.JobAck
	done   chan struct{}
	log    *slog.Logger
}

func newAcker(client *Client, batch int, linger time.Duration, log *slog.Logger) *acker {
	a := &acker{client: client, ch: make(chan *zenithv1.JobAck, batch*4), done: make(chan struct{}), log: log}
	go a.loop(batch, linger)
	return a
}

func (a *acker) send(ack *zenithv1.JobAck) { a.ch <- ack }

// close flushes what is queued and waits for it.
func (a *acker) close() {
	close(a.ch)
	<-a.done
}

func (a *acker) loop(max int, linger time.Duration) {
	defer close(a.done)
	for first := range a.ch {
		batch := []*zenithv1.JobAck{first}
		timer := time.NewTimer(linger)
	fill:
		for len(batch) < max {
			select {
			case ack, ok := <-a.ch:
				if !ok {
					break fill
				}
				batch = append(batch, ack)
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		a.flush(batch)
	}
}

// flush tries a batch until it lands, the server refuses it, or about a lease's worth of
// retries passed; an ack that never lands only means the job runs again.
func (a *acker) flush(batch []*zenithv1.JobAck) {
	retry := newBackoff(100*time.Millisecond, 5*time.Second)
	for range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := a.client.worker.Ack(ctx, &zenithv1.AckRequest{Acks: batch})
		cancel()
		if err == nil {
			return
		}
		err = wrap("ack", err)
		switch {
		case Code(err) == codes.FailedPrecondition:
			// The others in the batch were acked; the stale ones already run elsewhere.
			a.log.Warn("zenith: stale leases in ack batch", "error", err, "batch", len(batch))
			return
		case IsTransient(err):
			delay := retry.next()
			a.log.Warn("zenith: ack failed; retrying", "error", err, "retry_in", delay)
			time.Sleep(delay)
		default:
			a.log.Error("zenith: ack refused", "error", err, "batch", len(batch))
			return
		}
	}
	a.log.Error("zenith: giving up on ack batch; its jobs will be redelivered", "batch", len(batch))
}
