package zenith

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// Attribute keys that tag a line with a job when logged outside a handler's context.
const (
	JobIDKey = "zenith.job_id"
	QueueKey = "zenith.queue"
)

// The server's limits on log lines (README "Logs"), and how lines are batched.
const (
	logMaxBatch      = 1000
	logMaxBatchBytes = 2 << 20
	logMaxMessage    = 64 * 1024
	logMaxFields     = 64
	logMaxField      = 4 * 1024
	logMaxLabel      = 256
	logLinger        = 200 * time.Millisecond
	logBuffer        = 10000
	logWriteTimeout  = 10 * time.Second
	logFlushTimeout  = 10 * time.Second
	logWriteAttempts = 3
	cutMarker        = "…[truncated]"
)

// LogShipper sends log lines to the server in the background: in batches of at most 1,000
// lines or 2 MiB, at least every 200 ms, from a buffer of 10,000. Logging never blocks: when
// the buffer is full, lines are dropped and a warn line later says how many. Lines are fitted
// to the server's limits before sending. Create one with [StartLogShipper], log through
// [LogShipper.Handler], and [LogShipper.Close] before exiting.
type LogShipper struct {
	client  *Client
	service string
	nodeID  string
	ch      chan logMessage
	dropped atomic.Uint64
	done    chan struct{}
	closed  atomic.Bool
	mu      sync.RWMutex // held for reading while sending to ch; Close takes it to close ch
}

type logMessage struct {
	record *zenithv1.LogRecord
	flush  chan struct{}
}

// StartLogShipper starts shipping lines tagged with identity's service and node id (use the
// same identity as the worker's pulse, [PulseIdentity], so lines and node match).
func StartLogShipper(client *Client, identity *zenithv1.NodeIdentity) *LogShipper {
	s := &LogShipper{
		client:  client,
		service: identity.GetService(),
		nodeID:  identity.GetNodeId(),
		ch:      make(chan logMessage, logBuffer),
		done:    make(chan struct{}),
	}
	go s.loop()
	return s
}

// Send queues one line without blocking; service and node id are filled in when empty.
func (s *LogShipper) Send(record *zenithv1.LogRecord) {
	if record.Service == "" {
		record.Service = s.service
	}
	if record.NodeId == "" {
		record.NodeId = s.nodeID
	}
	if record.Time == nil {
		record.Time = timestamppb.Now()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		s.dropped.Add(1)
		return
	}
	select {
	case s.ch <- logMessage{record: record}:
	default:
		s.dropped.Add(1)
	}
}

// Flush waits until the lines queued so far are sent (or dropped), at most 10 s or ctx.
func (s *LogShipper) Flush(ctx context.Context) {
	done := make(chan struct{})
	s.mu.RLock()
	if s.closed.Load() {
		s.mu.RUnlock()
		return
	}
	select {
	case s.ch <- logMessage{flush: done}:
	case <-ctx.Done():
		s.mu.RUnlock()
		return
	}
	s.mu.RUnlock()
	select {
	case <-done:
	case <-ctx.Done():
	case <-time.After(logFlushTimeout):
	}
}

// Close sends what is queued (waiting at most 10 s) and stops the shipper.
func (s *LogShipper) Close() {
	s.mu.Lock()
	if !s.closed.Swap(true) {
		close(s.ch)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
	case <-time.After(logFlushTimeout):
	}
}

// Dropped is how many lines were dropped so far (full buffer, refused or unsendable).
func (s *LogShipper) Dropped() uint64 { return s.dropped.Load() }

func (s *LogShipper) loop() {
	defer close(s.done)
	for {
		first, ok := <-s.ch
		if !ok {
			return
		}
		var batch []*zenithv1.LogRecord
		var waiting []chan struct{}
		bytes := 0
		deadline := time.NewTimer(logLinger)
		msg, open := first, true
	fill:
		for {
			if msg.flush != nil {
				waiting = append(waiting, msg.flush)
				break
			}
			fitLogRecord(msg.record)
			bytes += proto.Size(msg.record)
			batch = append(batch, msg.record)
			if len(batch) >= logMaxBatch || bytes >= logMaxBatchBytes {
				break
			}
			select {
			case msg, open = <-s.ch:
				if !open {
					break fill
				}
			case <-deadline.C:
				break fill
			}
		}
		deadline.Stop()
		if lost := s.dropped.Swap(0); lost > 0 {
			warning := &zenithv1.LogRecord{
				Time:    timestamppb.Now(),
				Level:   zenithv1.LogLevel_LOG_LEVEL_WARN,
				Message: fmt.Sprintf("dropped %d log lines: the log buffer was full or the server did not take them", lost),
				Service: s.service, NodeId: s.nodeID, Target: "zenith",
			}
			batch = append(batch, warning)
		}
		for _, chunk := range splitLogs(batch) {
			s.write(chunk)
		}
		for _, w := range waiting {
			close(w)
		}
		if !open {
			return
		}
	}
}

func splitLogs(records []*zenithv1.LogRecord) [][]*zenithv1.LogRecord {
	var chunks [][]*zenithv1.LogRecord
	bytes := 0
	for _, r := range records {
		size := proto.Size(r)
		if n := len(chunks); n > 0 && len(chunks[n-1]) < logMaxBatch && bytes+size <= logMaxBatchBytes {
			chunks[n-1] = append(chunks[n-1], r)
			bytes += size
			continue
		}
		chunks = append(chunks, []*zenithv1.LogRecord{r})
		bytes = size
	}
	return chunks
}

// write sends one batch, retrying a few times while the server is unreachable. A line the
// server refuses (INVALID_ARGUMENT naming records[i]) is dropped alone and the rest sent again.
func (s *LogShipper) write(records []*zenithv1.LogRecord) {
	for attempt := 1; len(records) > 0; {
		ctx, cancel := context.WithTimeout(context.Background(), logWriteTimeout)
		_, err := s.client.logs.WriteLogs(ctx, &zenithv1.WriteLogsRequest{Records: records})
		cancel()
		if err == nil {
			return
		}
		st := status.Convert(err)
		if i, ok := refusedLine(st); ok && i < len(records) {
			records = append(records[:i:i], records[i+1:]...)
			s.dropped.Add(1)
			continue
		}
		if (&Error{Status: st}).Transient() && attempt < logWriteAttempts {
			time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
			attempt++
			continue
		}
		s.dropped.Add(uint64(len(records)))
		return
	}
}

func refusedLine(st *status.Status) (int, bool) {
	if st.Code() != codes.InvalidArgument {
		return 0, false
	}
	msg := st.Message()
	start := strings.Index(msg, "records[")
	if start < 0 {
		return 0, false
	}
	var i int
	if _, err := fmt.Sscanf(msg[start+len("records["):], "%d]", &i); err != nil {
		return 0, false
	}
	return i, true
}

// fitLogRecord makes a line pass the server's checks: text cut to its limits at a character
// boundary (marked), NUL removed, a job id or queue that is not a valid name left out.
func fitLogRecord(r *zenithv1.LogRecord) {
	if _, ok := zenithv1.LogLevel_name[int32(r.Level)]; !ok {
		r.Level = zenithv1.LogLevel_LOG_LEVEL_INFO
	}
	r.Message = cut(strings.ReplaceAll(strings.ToValidUTF8(r.Message, "\uFFFD"), "\x00", ""), logMaxMessage)
	for _, label := range []*string{&r.Service, &r.NodeId, &r.Target} {
		*label = cut(strings.Map(func(c rune) rune {
			if c < 0x20 || c == 0x7f {
				return -1
			}
			return c
		}, strings.ToValidUTF8(*label, "")), logMaxLabel)
	}
	for _, name := range []*string{&r.Queue, &r.JobId} {
		if !isName(*name) {
			*name = ""
		}
	}
	if len(r.Fields) > 0 {
		fields := make(map[string]string, min(len(r.Fields), logMaxFields))
		keys := make([]string, 0, len(r.Fields))
		for k := range r.Fields {
			keys = append(keys, k)
		}
		// Sorted, so which fields are kept does not depend on map order.
		slices.Sort(keys)
		for _, k := range keys {
			if len(fields) >= logMaxFields {
				break
			}
			key := cut(strings.ReplaceAll(strings.ToValidUTF8(k, ""), "\x00", ""), logMaxField)
			if key == "" {
				continue
			}
			fields[key] = cut(strings.ReplaceAll(strings.ToValidUTF8(r.Fields[k], "\uFFFD"), "\x00", ""), logMaxField)
		}
		r.Fields = fields
	}
}

func cut(text string, n int) string {
	if len(text) <= n {
		return text
	}
	end := n - len(cutMarker)
	for end > 0 && !utf8.RuneStart(text[end]) {
		end--
	}
	return text[:end] + cutMarker
}

// isName: queue names and job ids as the server takes them, 1 to 128 of [A-Za-z0-9_.:-].
func isName(text string) bool {
	if text == "" || len(text) > 128 {
		return false
	}
	for _, c := range text {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_.:-", c)) {
			return false
		}
	}
	return true
}

// Handler returns a slog.Handler that ships records at level or above through s and passes
// every record to next as well (nil: ship only). A record logged with a handler's context
// (slog.InfoContext(ctx, …) inside a [HandlerFunc]) carries the job's id and queue; outside
// one, attributes [JobIDKey] and [QueueKey] do the same. Other attributes become the line's
// fields, groups joined with dots.
func (s *LogShipper) Handler(level slog.Leveler, next slog.Handler) slog.Handler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &logHandler{shipper: s, level: level, next: next}
}

type logHandler struct {
	shipper *LogShipper
	level   slog.Leveler
	next    slog.Handler
	attrs   []slog.Attr // with their group prefix applied to keys
	group   string      // current group prefix, "a.b." or ""
}

func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.level.Level() || (h.next != nil && h.next.Enabled(ctx, level))
}

func (h *logHandler) Handle(ctx context.Context, rec slog.Record) error {
	var err error
	if h.next != nil && h.next.Enabled(ctx, rec.Level) {
		err = h.next.Handle(ctx, rec)
	}
	if rec.Level < h.level.Level() {
		return err
	}
	out := &zenithv1.LogRecord{
		Level:   slogLevel(rec.Level),
		Message: rec.Message,
		Target:  "slog",
		Fields:  map[string]string{},
	}
	if !rec.Time.IsZero() {
		out.Time = timestamppb.New(rec.Time)
	}
	var add func(prefix string, a slog.Attr)
	add = func(prefix string, a slog.Attr) {
		a.Value = a.Value.Resolve()
		if a.Equal(slog.Attr{}) {
			return
		}
		key := prefix + a.Key
		if a.Value.Kind() == slog.KindGroup {
			p := prefix
			if a.Key != "" {
				p = key + "."
			}
			for _, g := range a.Value.Group() {
				add(p, g)
			}
			return
		}
		switch key {
		case JobIDKey:
			out.JobId = a.Value.String()
		case QueueKey:
			out.Queue = a.Value.String()
		default:
			out.Fields[key] = a.Value.String()
		}
	}
	for _, a := range h.attrs {
		add("", a)
	}
	rec.Attrs(func(a slog.Attr) bool {
		add(h.group, a)
		return true
	})
	if job := JobFromContext(ctx); job != nil {
		out.JobId, out.Queue = job.ID(), job.Queue()
	}
	h.shipper.Send(out)
	return err
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr{}, h.attrs...)
	for _, a := range attrs {
		a.Key = h.group + a.Key
		c.attrs = append(c.attrs, a)
	}
	if h.next != nil {
		c.next = h.next.WithAttrs(attrs)
	}
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = h.group + name + "."
	if h.next != nil {
		c.next = h.next.WithGroup(name)
	}
	return &c
}

func slogLevel(l slog.Level) zenithv1.LogLevel {
	switch {
	case l >= slog.LevelError:
		return zenithv1.LogLevel_LOG_LEVEL_ERROR
	case l >= slog.LevelWarn:
		return zenithv1.LogLevel_LOG_LEVEL_WARN
	case l >= slog.LevelInfo:
		return zenithv1.LogLevel_LOG_LEVEL_INFO
	case l >= slog.LevelDebug:
		return zenithv1.LogLevel_LOG_LEVEL_DEBUG
	}
	return zenithv1.LogLevel_LOG_LEVEL_TRACE
}
