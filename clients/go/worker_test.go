package zenith_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	zenith "github.com/zenith-run/zenith/clients/go"
	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// quietLogger keeps the worker's own lines out of the test output unless -v.
func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startWorker runs w until the test ends (or stop is called); stop returns Run's error.
func startWorker(t *testing.T, w *zenith.Worker) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- w.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-result:
			case <-time.After(20 * time.Second):
				err = errors.New("worker did not stop within 20s")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func waitState(t *testing.T, client *zenith.Client, id string, want zenithv1.JobState, within time.Duration) *zenithv1.Job {
	t.Helper()
	var job *zenithv1.Job
	eventually(t, within, func() error {
		var err error
		job, err = client.GetJob(context.Background(), id)
		if err != nil {
			return err
		}
		if job.GetState() != want {
			return fmt.Errorf("job %s is %s, want %s (last error %q)", id, job.GetState(), want, job.GetLastError())
		}
		return nil
	})
	return job
}

func baseOptions(queue string, extra ...zenith.WorkerOption) []zenith.WorkerOption {
	return append([]zenith.WorkerOption{
		zenith.Queues(queue), zenith.PollWait(500 * time.Millisecond), zenith.WithLogger(quietLogger()),
		zenith.Service("go-sdk-test"), zenith.PulseInterval(time.Second),
	}, extra...)
}

func TestWorkerAcksJobsWithTheirResult(t *testing.T) {
	client := newClient(t)
	queue := uniqueName(t)
	w, err := zenith.NewWorker(client, baseOptions(queue, zenith.Concurrency(4))...)
	if err != nil {
		t.Fatal(err)
	}
	var handled atomic.Int32
	w.Handle("double", func(ctx context.Context, job *zenith.Job) error {
		var p struct{ N int }
		if err := job.DecodeJSON(&p); err != nil {
			return err
		}
		handled.Add(1)
		return job.SetResultJSON(map[string]int{"doubled": p.N * 2})
	})
	ctx := testContext(t, 20*time.Second)
	var ids []string
	for i := range 10 {
		res, err := client.Enqueue(ctx, queue, "double", zenith.WithJSON(map[string]int{"N": i}))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.GetId())
	}
	startWorker(t, w)
	for i, id := range ids {
		job := waitState(t, client, id, zenithv1.JobState_JOB_STATE_COMPLETED, 10*time.Second)
		if want := fmt.Sprintf(`{"doubled":%d}`, i*2); string(job.GetResult()) != want {
			t.Fatalf("job %d result %s, want %s", i, job.GetResult(), want)
		}
	}
	if handled.Load() != 10 {
		t.Fatalf("handled %d jobs", handled.Load())
	}
}

// A panic and a returned error each fail the attempt with message and stack trace; the worker
// goes on with the next job.
func TestFailuresCarryMessageAndStackAndTheWorkerGoesOn(t *testing.T) {
	client := newClient(t)
	queue := uniqueName(t)
	w, err := zenith.NewWorker(client, baseOptions(queue, zenith.Concurrency(1))...)
	if err != nil {
		t.Fatal(err)
	}
	w.Handle("explode", func(ctx context.Context, job *zenith.Job) error {
		panicInHandler("kaboom in handler")
		return nil
	})
	w.Handle("error", func(ctx context.Context, job *zenith.Job) error {
		return zenith.WithStack(fmt.Errorf("card declined: %w", errors.New("issuer said no")))
	})
	w.Handle("permanent", func(ctx context.Context, job *zenith.Job) error {
		return zenith.Permanent(errors.New("bad address"))
	})
	w.Handle("ok", func(ctx context.Context, job *zenith.Job) error { return nil })
	ctx := testContext(t, 20*time.Second)
	enqueue := func(jobType string) string {
		res, err := client.Enqueue(ctx, queue, jobType, zenith.WithMaxAttempts(2), zenith.WithBackoff(time.Hour, time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return res.Job.GetId()
	}
	panicked, failed, permanent, ok := enqueue("explode"), enqueue("error"), enqueue("permanent"), enqueue("ok")
	startWorker(t, w)

	job := waitState(t, client, panicked, zenithv1.JobState_JOB_STATE_RETRY, 10*time.Second)
	if !strings.Contains(job.GetLastError(), "handler panicked: kaboom in handler") {
		t.Fatalf("panic message: %q", job.GetLastError())
	}
	if !strings.Contains(job.GetLastStackTrace(), "panicInHandler") || !strings.Contains(job.GetLastStackTrace(), "goroutine") {
		t.Fatalf("panic stack trace: %q", job.GetLastStackTrace())
	}
	job = waitState(t, client, failed, zenithv1.JobState_JOB_STATE_RETRY, 10*time.Second)
	if job.GetLastError() != "card declined: issuer said no" || !strings.Contains(job.GetLastStackTrace(), "worker_test.go") {
		t.Fatalf("error %q stack %q", job.GetLastError(), job.GetLastStackTrace())
	}
	job = waitState(t, client, permanent, zenithv1.JobState_JOB_STATE_DEAD, 10*time.Second)
	if job.GetAttempts() != 1 || job.GetLastError() != "bad address" || job.GetLastStackTrace() == "" {
		t.Fatalf("permanent failure: %v", job)
	}
	waitState(t, client, ok, zenithv1.JobState_JOB_STATE_COMPLETED, 10*time.Second)
}

//go:noinline
func panicInHandler(message string) { panic(message) }

func TestUnknownTypeFailsWithoutRetry(t *testing.T) {
	client := newClient(t)
	queue := uniqueName(t)
	w, err := zenith.NewWorker(client, baseOptions(queue)...)
	if err != nil {
		t.Fatal(err)
	}
	w.Handle("known", func(ctx context.Context, job *zenith.Job) error { return nil })
	ctx := testContext(t, 20*time.Second)
	res, err := client.Enqueue(ctx, queue, "mystery", zenith.WithMaxAttempts(5))
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, w)
	job := waitState(t, client, res.Job.GetId(), zenithv1.JobState_JOB_STATE_DEAD, 10*time.Second)
	if job.GetAttempts() != 1 || !strings.Contains(job.GetLastError(), `no handler for job type "mystery"`) {
		t.Fatalf("unknown type: attempts %d error %q", job.GetAttempts(), job.GetLastError())
	}
}

// CancelJob on a running job cancels the handler's context with the operator's reason; the job
// ends cancelled. Once through ExtendLease alone (no pulse), once through the beat's answer.
func TestCancellationCancelsTheHandlersContext(t *testing.T) {
	for _, pulse := range []bool{false, true} {
		t.Run(fmt.Sprintf("pulse=%v", pulse), func(t *testing.T) {
			client := newClient(t)
			queue := uniqueName(t)
			opts := baseOptions(queue, zenith.Lease(30*time.Second))
			if !pulse {
				opts = baseOptions(queue, zenith.Lease(3*time.Second), zenith.WithoutPulse())
			}
			w, err := zenith.NewWorker(client, opts...)
			if err != nil {
				t.Fatal(err)
			}
			started := make(chan struct{})
			causes := make(chan error, 1)
			w.Handle("long", func(ctx context.Context, job *zenith.Job) error {
				close(started)
				select {
				case <-ctx.Done():
					causes <- context.Cause(ctx)
					return ctx.Err()
				case <-time.After(30 * time.Second):
					causes <- nil
					return nil
				}
			})
			ctx := testContext(t, 30*time.Second)
			res, err := client.Enqueue(ctx, queue, "long")
			if err != nil {
				t.Fatal(err)
			}
			startWorker(t, w)
			select {
			case <-started:
			case <-ctx.Done():
				t.Fatal("handler never started")
			}
			cancelled, err := client.CancelJob(ctx, res.Job.GetId(), "operator says stop")
			if err != nil {
				t.Fatal(err)
			}
			if !cancelled.GetRequested() {
				t.Fatalf("cancel of a running job not a request: %v", cancelled)
			}
			var cause error
			select {
			case cause = <-causes:
			case <-time.After(10 * time.Second):
				t.Fatal("handler context not cancelled within 10s")
			}
			var ce *zenith.CancelledError
			if !errors.As(cause, &ce) || ce.Reason != "operator says stop" {
				t.Fatalf("cause %v", cause)
			}
			waitState(t, client, res.Job.GetId(), zenithv1.JobState_JOB_STATE_CANCELLED, 10*time.Second)
		})
	}
}

// A job's timeout cancels its handler's context with a TimeoutError and fails the attempt.
func TestTimeoutCancelsTheHandler(t *testing.T) {
	client := newClient(t)
	queue := uniqueName(t)
	w, err := zenith.NewWorker(client, baseOptions(queue, zenith.WithoutPulse())...)
	if err != nil {
		t.Fatal(err)
	}
	causes := make(chan error, 1)
	w.Handle("slow", func(ctx context.Context, job *zenith.Job) error {
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return ctx.Err()
	})
	ctx := testContext(t, 20*time.Second)
	res, err := client.Enqueue(ctx, queue, "slow", zenith.WithTimeout(time.Second), zenith.WithMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, w)
	select {
	case cause := <-causes:
		var te *zenith.TimeoutError
		if !errors.As(cause, &te) {
			t.Fatalf("cause %v", cause)
		}
	case <-ctx.Done():
		t.Fatal("handler not cancelled at its timeout")
	}
	job := waitState(t, client, res.Job.GetId(), zenithv1.JobState_JOB_STATE_DEAD, 10*time.Second)
	if !strings.Contains(job.GetLastError(), "timed out") {
		t.Fatalf("last error %q", job.GetLastError())
	}
}

// Shutdown stops reserving, lets the running job finish and acks it, beats quiet; the jobs
// still pending stay pending.
func TestGracefulShutdown(t *testing.T) {
	client := newClient(t)
	queue := uniqueName(t)
	w, err := zenith.NewWorker(client, baseOptions(queue, zenith.Concurrency(1))...)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 10)
	w.Handle("work", func(ctx context.Context, job *zenith.Job) error {
		started <- job.ID()
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
			return errors.New("cancelled during shutdown")
		}
		job.SetResult([]byte("finished"))
		return nil
	})
	ctx := testContext(t, 30*time.Second)
	first, err := client.Enqueue(ctx, queue, "work")
	if err != nil {
		t.Fatal(err)
	}
	stop := startWorker(t, w)
	<-started
	second, err := client.Enqueue(ctx, queue, "work")
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if time.Since(began) < 500*time.Millisecond {
		t.Fatalf("Run returned before the running job finished (%s)", time.Since(began))
	}
	job, err := client.GetJob(ctx, first.Job.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if job.GetState() != zenithv1.JobState_JOB_STATE_COMPLETED || string(job.GetResult()) != "finished" {
		t.Fatalf("running job after shutdown: %v", job)
	}
	job, err = client.GetJob(ctx, second.Job.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if job.GetState() != zenithv1.JobState_JOB_STATE_PENDING {
		t.Fatalf("job enqueued during shutdown was taken: %v", job)
	}
	node, err := client.PulseService().GetNode(ctx, &zenithv1.GetNodeRequest{NodeId: w.NodeID()})
	if err != nil {
		t.Fatal(err)
	}
	if !node.GetNode().GetBeat().GetQuiet() {
		t.Fatalf("last beat not quiet: %v", node.GetNode().GetBeat())
	}
}

// The worker's node appears in ListNodes with language go, its service and its running job.
func TestPulseNodeIsListed(t *testing.T) {
	client := newClient(t)
	queue := uniqueName(t)
	service := "svc-" + uniqueName(t)
	w, err := zenith.NewWorker(client, baseOptions(queue, zenith.Service(service))...)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	w.Handle("hold", func(ctx context.Context, job *zenith.Job) error {
		<-release
		return nil
	})
	defer close(release)
	ctx := testContext(t, 20*time.Second)
	res, err := client.Enqueue(ctx, queue, "hold")
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, w)
	eventually(t, 10*time.Second, func() error {
		nodes, err := client.ListNodes(ctx, service, "go")
		if err != nil {
			return err
		}
		for _, group := range nodes.GetServices() {
			for _, node := range group.GetNodes() {
				beat := node.GetBeat()
				id := beat.GetIdentity()
				if id.GetNodeId() != w.NodeID() {
					continue
				}
				if id.GetLanguage() != "go" || id.GetService() != service || !strings.HasPrefix(id.GetRuntime(), "go") ||
					beat.GetProcess().GetMemoryRssBytes() == 0 || beat.GetSystem().GetCpuCores() == 0 ||
					beat.GetSystem().GetDiskTotalBytes() == 0 {
					return fmt.Errorf("node as listed: %v", beat)
				}
				for _, j := range beat.GetJobs() {
					if j.GetJobId() == res.Job.GetId() && j.GetLeaseToken() != "" {
						return nil
					}
				}
				return fmt.Errorf("running job not in the beat: %v", beat.GetJobs())
			}
		}
		return fmt.Errorf("node %s not listed", w.NodeID())
	})
}

// QUIET from an operator stops reserving; withdrawing it resumes.
func TestQuietAndResume(t *testing.T) {
	client := newClient(t)
	queue := uniqueName(t)
	w, err := zenith.NewWorker(client, baseOptions(queue)...)
	if err != nil {
		t.Fatal(err)
	}
	w.Handle("t", func(ctx context.Context, job *zenith.Job) error { return nil })
	ctx := testContext(t, 30*time.Second)
	startWorker(t, w)
	eventually(t, 10*time.Second, func() error {
		_, err := client.PulseService().GetNode(ctx, &zenithv1.GetNodeRequest{NodeId: w.NodeID()})
		return err
	})
	if _, err := client.PulseService().QuietNode(ctx, &zenithv1.QuietNodeRequest{NodeId: w.NodeID(), Quiet: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		if !w.Pulse().QuietRequested() {
			return errors.New("quiet not seen yet")
		}
		return nil
	})
	time.Sleep(1500 * time.Millisecond) // a reserve in flight (PollWait 500 ms) may still take a job
	res, err := client.Enqueue(ctx, queue, "t")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if job, _ := client.GetJob(ctx, res.Job.GetId()); job.GetState() != zenithv1.JobState_JOB_STATE_PENDING {
		t.Fatalf("a quiet worker took a job: %v", job)
	}
	if _, err := client.PulseService().QuietNode(ctx, &zenithv1.QuietNodeRequest{NodeId: w.NodeID(), Quiet: false}); err != nil {
		t.Fatal(err)
	}
	waitState(t, client, res.Job.GetId(), zenithv1.JobState_JOB_STATE_COMPLETED, 10*time.Second)
}

// Lines logged inside a handler are shipped tagged with the job and found by SearchLogs.
func TestLogLinesAreShippedWithTheirJob(t *testing.T) {
	client := newClient(t)
	queue := uniqueName(t)
	identity := zenith.DetectIdentity("logs-" + uniqueName(t))
	shipper := zenith.StartLogShipper(client, identity)
	defer shipper.Close()
	logger := slog.New(shipper.Handler(slog.LevelInfo, quietLogger().Handler()))
	w, err := zenith.NewWorker(client, baseOptions(queue, zenith.PulseIdentity(identity), zenith.WithLogger(logger))...)
	if err != nil {
		t.Fatal(err)
	}
	w.Handle("chatty", func(ctx context.Context, job *zenith.Job) error {
		logger.InfoContext(ctx, "charging card ending", "last4", "4242", slog.Group("amount", "cents", 1250))
		return nil
	})
	ctx := testContext(t, 30*time.Second)
	res, err := client.Enqueue(ctx, queue, "chatty")
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, w)
	waitState(t, client, res.Job.GetId(), zenithv1.JobState_JOB_STATE_COMPLETED, 10*time.Second)
	logger.Info("outside any job", zenith.JobIDKey, res.Job.GetId(), zenith.QueueKey, queue)
	shipper.Flush(ctx)
	eventually(t, 15*time.Second, func() error {
		found, err := client.SearchLogs(ctx, &zenithv1.SearchLogsRequest{
			Filter: &zenithv1.LogFilter{JobId: res.Job.GetId()}, OldestFirst: true,
		})
		if err != nil {
			return err
		}
		var charging, outside bool
		for _, r := range found.GetRecords() {
			switch r.GetMessage() {
			case "charging card ending":
				if r.GetQueue() != queue || r.GetService() != identity.GetService() || r.GetNodeId() != identity.GetNodeId() ||
					r.GetFields()["last4"] != "4242" || r.GetFields()["amount.cents"] != "1250" ||
					r.GetLevel() != zenithv1.LogLevel_LOG_LEVEL_INFO {
					return fmt.Errorf("line as archived: %v", r)
				}
				charging = true
			case "outside any job":
				outside = r.GetQueue() == queue
			}
		}
		if !charging || !outside {
			return fmt.Errorf("lines not archived yet: %v", found.GetRecords())
		}
		return nil
	})
}

// The server is down when the worker starts: it retries, and works once the server is up.
func TestServerUnreachableAtStart(t *testing.T) {
	port := freePort()
	late := fmt.Sprintf("http://127.0.0.1:%d", port)
	client, err := zenith.Dial(late)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	queue := uniqueName(t)
	var logged strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), nil))
	w, err := zenith.NewWorker(client, zenith.Queues(queue), zenith.PollWait(500*time.Millisecond),
		zenith.WithLogger(logger), zenith.PulseInterval(time.Second), zenith.RetryBackoffMax(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	w.Handle("t", func(ctx context.Context, job *zenith.Job) error {
		job.SetResult([]byte("late but done"))
		return nil
	})
	startWorker(t, w)
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	text := logged.String()
	mu.Unlock()
	if !strings.Contains(text, "reserve failed; retrying") || !strings.Contains(text, "UNAVAILABLE") {
		t.Fatalf("no clear retry log line while the server is down:\n%s", text)
	}

	stop, err := startServer(port, "late-"+uniqueName(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := testContext(t, 30*time.Second)
	// A producer of its own: the worker's client may still be between reconnect attempts.
	producer, err := zenith.Dial(late)
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	res, err := producer.Enqueue(ctx, queue, "t")
	if err != nil {
		t.Fatal(err)
	}
	job := waitState(t, producer, res.Job.GetId(), zenithv1.JobState_JOB_STATE_COMPLETED, 15*time.Second)
	if string(job.GetResult()) != "late but done" {
		t.Fatalf("result %q", job.GetResult())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Bad configurations are refused before anything runs, and a worker runs once.
func TestWorkerConfigurationIsChecked(t *testing.T) {
	client, err := zenith.Dial("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := zenith.NewWorker(client); err == nil || !strings.Contains(err.Error(), "at least one queue") {
		t.Fatalf("no queues: %v", err)
	}
	if _, err := zenith.NewWorker(client, zenith.Queues("q"), zenith.Lease(time.Millisecond)); err == nil {
		t.Fatal("a 1 ms lease was accepted")
	}
	w, err := zenith.NewWorker(client, zenith.Queues("q"), zenith.WithoutPulse(), zenith.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Run(ctx); err == nil || !strings.Contains(err.Error(), "handler") {
		t.Fatalf("no handlers: %v", err)
	}
	w.Handle("t", func(ctx context.Context, job *zenith.Job) error { return nil })
	if err := w.Run(ctx); err != nil {
		t.Fatalf("stopped worker: %v", err)
	}
	if err := w.Run(ctx); err == nil || !strings.Contains(err.Error(), "runs once") {
		t.Fatalf("second run: %v", err)
	}
}
