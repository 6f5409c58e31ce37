package zenith

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// unstarted is a shipper whose lines stay in its buffer, for inspection.
func unstarted(buffer int) *LogShipper {
	return &LogShipper{service: "svc", nodeID: "node-1", ch: make(chan logMessage, buffer), done: make(chan struct{})}
}

func TestLinesAreFittedToTheServersLimits(t *testing.T) {
	fields := map[string]string{"big": strings.Repeat("v", logMaxField+10), "nul\x00key": "a\x00b"}
	for i := range 100 {
		fields[strings.Repeat("k", 3)+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = "v"
	}
	r := &zenithv1.LogRecord{
		Level:   zenithv1.LogLevel(42),
		Message: strings.Repeat("é", logMaxMessage) + "\x00",
		Service: "svc\nname",
		Queue:   "not a name!",
		JobId:   "job-1",
		Fields:  fields,
	}
	fitLogRecord(r)
	if len(r.Message) > logMaxMessage || !utf8.ValidString(r.Message) || !strings.HasSuffix(r.Message, cutMarker) {
		t.Fatalf("message not cut cleanly: %d bytes", len(r.Message))
	}
	if r.Level != zenithv1.LogLevel_LOG_LEVEL_INFO || r.Service != "svcname" || r.Queue != "" || r.JobId != "job-1" {
		t.Fatalf("fitted: level %v service %q queue %q job %q", r.Level, r.Service, r.Queue, r.JobId)
	}
	if len(r.Fields) > logMaxFields {
		t.Fatalf("%d fields", len(r.Fields))
	}
	for k, v := range r.Fields {
		if len(k) > logMaxField || len(v) > logMaxField || strings.Contains(k+v, "\x00") {
			t.Fatalf("field %q=%q over the limits", k, v)
		}
	}
}

func TestAFullBufferDropsInsteadOfBlocking(t *testing.T) {
	s := unstarted(2)
	start := time.Now()
	for range 5 {
		s.Send(&zenithv1.LogRecord{Message: "x"})
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Fatal("Send blocked")
	}
	if s.Dropped() != 3 || len(s.ch) != 2 {
		t.Fatalf("dropped %d buffered %d", s.Dropped(), len(s.ch))
	}
}

func TestBatchesAreCappedByLinesAndBytes(t *testing.T) {
	var records []*zenithv1.LogRecord
	for range 2500 {
		records = append(records, &zenithv1.LogRecord{Message: "m"})
	}
	chunks := splitLogs(records)
	if len(chunks) != 3 || len(chunks[0]) != logMaxBatch || len(chunks[2]) != 500 {
		t.Fatalf("chunks by lines: %d", len(chunks))
	}
	big := strings.Repeat("b", 60*1024)
	records = nil
	for range 100 {
		records = append(records, &zenithv1.LogRecord{Message: big})
	}
	for _, chunk := range splitLogs(records) {
		size := 0
		for _, r := range chunk {
			size += len(r.Message)
		}
		if size > logMaxBatchBytes {
			t.Fatalf("chunk of %d bytes", size)
		}
	}
}

func TestHandlerMapsAttributesGroupsAndTheJob(t *testing.T) {
	s := unstarted(10)
	logger := slog.New(s.Handler(slog.LevelInfo, nil)).With("app", "billing").WithGroup("req")
	job := &Job{Proto: &zenithv1.Job{Id: "job-7", Queue: "emails"}}
	ctx := context.WithValue(context.Background(), jobKey{}, job)
	logger.DebugContext(ctx, "below the level")
	logger.WarnContext(ctx, "declined", "code", 51, slog.Group("card", "last4", "4242"))
	logger.Info("tagged by attributes", JobIDKey, "job-8", QueueKey, "q")
	if len(s.ch) != 2 {
		t.Fatalf("%d lines shipped, want 2", len(s.ch))
	}
	first := (<-s.ch).record
	if first.Level != zenithv1.LogLevel_LOG_LEVEL_WARN || first.JobId != "job-7" || first.Queue != "emails" ||
		first.Service != "svc" || first.NodeId != "node-1" || first.Time == nil ||
		first.Fields["app"] != "billing" || first.Fields["req.code"] != "51" || first.Fields["req.card.last4"] != "4242" {
		t.Fatalf("first line: %v", first)
	}
	second := (<-s.ch).record
	// Inside a group the tag keys are prefixed, so they stay ordinary fields.
	if second.JobId != "" || second.Fields["req."+JobIDKey] != "job-8" {
		t.Fatalf("second line: %v", second)
	}
	plain := slog.New(s.Handler(nil, nil))
	plain.Info("tagged", JobIDKey, "job-9", QueueKey, "q9")
	third := (<-s.ch).record
	if third.JobId != "job-9" || third.Queue != "q9" || len(third.Fields) != 0 {
		t.Fatalf("third line: %v", third)
	}
}
