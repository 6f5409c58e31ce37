package zenith

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// Job is a reserved job as a handler sees it.
type Job struct {
	// Proto is the job as the server sent it.
	Proto *zenithv1.Job

	leaseToken string
	mu         sync.Mutex
	result     []byte
}

// ID is the job's id.
func (j *Job) ID() string { return j.Proto.GetId() }

// Queue is the job's queue.
func (j *Job) Queue() string { return j.Proto.GetQueue() }

// Type is the job's type.
func (j *Job) Type() string { return j.Proto.GetType() }

// Payload is the job's payload as enqueued.
func (j *Job) Payload() []byte { return j.Proto.GetPayload() }

// Attempt is the number of this attempt, from 1.
func (j *Job) Attempt() int { return int(j.Proto.GetAttempts()) }

// Headers are the job's headers.
func (j *Job) Headers() map[string]string { return j.Proto.GetHeaders() }

// DecodeJSON decodes the payload into v.
func (j *Job) DecodeJSON(v any) error {
	if err := json.Unmarshal(j.Proto.GetPayload(), v); err != nil {
		return fmt.Errorf("decode payload of job %s: %w", j.ID(), err)
	}
	return nil
}

// SetResult sets the result kept with the job when the handler returns nil.
func (j *Job) SetResult(result []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.result = result
}

// SetResultJSON sets the result to v encoded as JSON ([EncodeJSON]).
func (j *Job) SetResultJSON(v any) error {
	data, err := EncodeJSON(v)
	if err != nil {
		return err
	}
	j.SetResult(data)
	return nil
}

func (j *Job) takeResult() []byte {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.result
}

type jobKey struct{}

// JobFromContext returns the job a handler's context belongs to, or nil. The log handler
// ([LogShipper.Handler]) uses it to tag lines with the job's id and queue.
func JobFromContext(ctx context.Context) *Job {
	job, _ := ctx.Value(jobKey{}).(*Job)
	return job
}

// CancelledError is the cause of a handler context cancelled because an operator cancelled
// the job (context.Cause(ctx) returns it).
type CancelledError struct {
	Reason string
}

func (e *CancelledError) Error() string {
	if e.Reason == "" {
		return "cancelled by an operator"
	}
	return "cancelled by an operator: " + e.Reason
}

// ErrLeaseLost is the cause of a handler context cancelled because the job's lease was lost
// (it expired or the job was reserved again): the job is no longer this worker's.
var ErrLeaseLost = errors.New("zenith: lease lost")

// TimeoutError is the cause of a handler context cancelled because the job's timeout passed.
type TimeoutError struct {
	Timeout string
}

func (e *TimeoutError) Error() string { return "timed out after " + e.Timeout }

// permanentError marks an error as not worth retrying.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err so the failed job goes straight to dead instead of being retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err (or an error it wraps) was marked with [Permanent].
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// StackTracer is an error that knows where it was made; its stack is sent with a failed
// attempt. [WithStack] makes one.
type StackTracer interface {
	StackTrace() string
}

type stackError struct {
	err   error
	stack string
}

func (e *stackError) Error() string      { return e.err.Error() }
func (e *stackError) Unwrap() error      { return e.err }
func (e *stackError) StackTrace() string { return e.stack }

// WithStack records the caller's stack with err, which a failed attempt then reports.
// Without it, a returned error is reported with its chain of wrapped errors only.
func WithStack(err error) error {
	if err == nil {
		return nil
	}
	return &stackError{err: err, stack: callers(3)}
}

func callers(skip int) string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(skip, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	for {
		frame, more := frames.Next()
		fmt.Fprintf(&b, "%s\n\t%s:%d\n", frame.Function, frame.File, frame.Line)
		if !more {
			break
		}
	}
	return b.String()
}

// stackTraceOf is what a failed attempt reports as the stack trace of err: its recorded stack
// when it has one, else the chain of wrapped errors.
func stackTraceOf(err error) string {
	var tracer StackTracer
	if errors.As(err, &tracer) {
		return tracer.StackTrace()
	}
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		fmt.Fprintf(&b, "%T: %s\n", e, e.Error())
	}
	return b.String()
}
