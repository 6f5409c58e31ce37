package zenith_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	zenith "github.com/zenith-run/zenith/clients/go"
	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

func TestEnqueueAndGetJob(t *testing.T) {
	client := newClient(t)
	ctx := testContext(t, 10*time.Second)
	queue := uniqueName(t)
	res, err := client.Enqueue(ctx, queue, "send_welcome",
		zenith.WithJSON(map[string]any{"user_id": 42, "name": "Zoë <b>"}),
		zenith.WithMaxAttempts(3), zenith.WithPriority(7), zenith.WithTags("signup"),
		zenith.WithHeaders(map[string]string{"trace": "t1"}), zenith.WithDelay(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.Job.GetId() == "" {
		t.Fatalf("unexpected answer %v", res)
	}
	job, err := client.GetJob(ctx, res.Job.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if job.GetQueue() != queue || job.GetType() != "send_welcome" || job.GetMaxAttempts() != 3 ||
		job.GetPriority() != 7 || job.GetState() != zenithv1.JobState_JOB_STATE_SCHEDULED ||
		job.GetContentType() != "application/json" || job.GetHeaders()["trace"] != "t1" {
		t.Fatalf("job as stored: %v", job)
	}
	if got := string(job.GetPayload()); got != `{"name":"Zoë <b>","user_id":42}` {
		t.Fatalf("payload %s", got)
	}

	// The same id again is a duplicate, not a second job.
	again, err := client.Enqueue(ctx, queue, "x", zenith.WithID("fixed-1"))
	if err != nil {
		t.Fatal(err)
	}
	dup, err := client.Enqueue(ctx, queue, "x", zenith.WithID("fixed-1"))
	if err != nil {
		t.Fatal(err)
	}
	if again.Duplicate || !dup.Duplicate || dup.Job.GetId() != "fixed-1" {
		t.Fatalf("idempotent enqueue: first %v second %v", again, dup)
	}
}

// Server refusals keep their gRPC code.
func TestErrorsKeepTheGRPCCode(t *testing.T) {
	client := newClient(t)
	ctx := testContext(t, 10*time.Second)
	_, err := client.GetJob(ctx, "no-such-job-"+uniqueName(t))
	var zerr *zenith.Error
	if !errors.As(err, &zerr) || zerr.Code() != codes.NotFound || zenith.Code(err) != codes.NotFound ||
		status.Code(err) != codes.NotFound {
		t.Fatalf("want NOT_FOUND, got %v", err)
	}
	if zenith.IsTransient(err) {
		t.Fatal("NOT_FOUND is not transient")
	}
	_, err = client.Enqueue(ctx, "bad queue name!", "t")
	if zenith.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "INVALID_ARGUMENT") {
		t.Fatalf("want INVALID_ARGUMENT, got %v", err)
	}
	// A client that allows more than the server's 1 MiB payload limit: the server refuses, the
	// same way every time, so the error is not transient.
	generous := newClient(t, zenith.WithMaxPayloadBytes(4<<20))
	_, err = generous.Enqueue(ctx, "emails", "t", zenith.WithPayload(make([]byte, 2<<20), "application/octet-stream"))
	if !errors.As(err, &zerr) || zerr.Code() != codes.ResourceExhausted || zerr.Reason() != "TOO_LARGE" {
		t.Fatalf("want RESOURCE_EXHAUSTED TOO_LARGE, got %v", err)
	}
	if zenith.IsTransient(err) {
		t.Fatal("a size limit is not transient")
	}
}

func TestBatchEnqueue(t *testing.T) {
	client := newClient(t)
	ctx := testContext(t, 10*time.Second)
	queue := uniqueName(t)
	var specs []*zenithv1.JobSpec
	for i := range 25 {
		spec, err := zenith.NewJobSpec(queue, "batch", zenith.WithJSON(map[string]int{"n": i}))
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, spec)
	}
	jobs, err := client.BatchEnqueue(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 25 {
		t.Fatalf("%d answers for 25 jobs", len(jobs))
	}
	for i, j := range jobs {
		job, err := client.GetJob(ctx, j.GetId())
		if err != nil {
			t.Fatal(err)
		}
		if want := []byte(`{"n":` + strconv.Itoa(i) + `}`); !bytes.Equal(job.GetPayload(), want) || job.GetState() != zenithv1.JobState_JOB_STATE_PENDING {
			t.Fatalf("job %d: %v", i, job)
		}
	}
	// All or nothing: one bad job refuses the batch.
	bad, _ := zenith.NewJobSpec("bad queue!", "batch")
	if _, err := client.BatchEnqueue(ctx, []*zenithv1.JobSpec{specs[0], bad}); zenith.Code(err) != codes.InvalidArgument {
		t.Fatalf("want INVALID_ARGUMENT, got %v", err)
	}
	if _, err := client.BatchEnqueue(ctx, nil); zenith.Code(err) != codes.InvalidArgument {
		t.Fatalf("empty batch: %v", err)
	}
}

// A payload over the limit is refused before sending: the job never exists.
func TestPayloadOverTheLimitIsRefusedBeforeSending(t *testing.T) {
	client := newClient(t)
	ctx := testContext(t, 10*time.Second)
	queue := uniqueName(t)
	big := bytes.Repeat([]byte("x"), zenith.DefaultMaxPayloadBytes+1)
	_, err := client.Enqueue(ctx, queue, "big", zenith.WithID("too-big"), zenith.WithPayload(big, "text/plain"))
	var tooLarge *zenith.PayloadTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != zenith.DefaultMaxPayloadBytes || tooLarge.Size != len(big) {
		t.Fatalf("want PayloadTooLargeError, got %v", err)
	}
	if !strings.Contains(err.Error(), "over the limit") || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("unclear message: %v", err)
	}
	if _, err := client.GetJob(ctx, "too-big"); zenith.Code(err) != codes.NotFound {
		t.Fatalf("the job reached the server: %v", err)
	}
	q, err := client.Queues().GetQueue(ctx, &zenithv1.GetQueueRequest{Name: queue})
	if err == nil && q.GetQueue().GetCounts().GetPending() != 0 {
		t.Fatalf("queue has jobs: %v", q)
	}

	// In a batch, the refusal names the job; nothing of the batch is sent.
	small, _ := zenith.NewJobSpec(queue, "small", zenith.WithID("small-1"))
	large, _ := zenith.NewJobSpec(queue, "big", zenith.WithPayload(big, ""))
	_, err = client.BatchEnqueue(ctx, []*zenithv1.JobSpec{small, large})
	if !errors.As(err, &tooLarge) || tooLarge.Index != 1 {
		t.Fatalf("want PayloadTooLargeError for job 1, got %v", err)
	}
	if _, err := client.GetJob(ctx, "small-1"); zenith.Code(err) != codes.NotFound {
		t.Fatalf("part of the batch reached the server: %v", err)
	}

	// The limit is the client's option.
	small10 := newClient(t, zenith.WithMaxPayloadBytes(10))
	if _, err := small10.Enqueue(ctx, queue, "t", zenith.WithPayload(make([]byte, 11), "")); !errors.As(err, &tooLarge) {
		t.Fatalf("custom limit not applied: %v", err)
	}
}
