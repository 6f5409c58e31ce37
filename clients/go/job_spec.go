package zenith

import (
	"bytes"
	"encoding/json"
	"maps"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// JobOption sets one part of a job to enqueue.
type JobOption func(*specBuilder)

type specBuilder struct {
	spec *zenithv1.JobSpec
	err  error
}

// NewJobSpec builds the JobSpec of a job without sending it, e.g. for [Client.BatchEnqueue].
func NewJobSpec(queue, jobType string, opts ...JobOption) (*zenithv1.JobSpec, error) {
	b := specBuilder{spec: &zenithv1.JobSpec{Queue: queue, Type: jobType}}
	for _, opt := range opts {
		opt(&b)
		if b.err != nil {
			return nil, b.err
		}
	}
	return b.spec, nil
}

// NewEnqueueRequest builds the EnqueueRequest [Client.Enqueue] sends, without sending it.
func NewEnqueueRequest(queue, jobType string, opts ...JobOption) (*zenithv1.EnqueueRequest, error) {
	spec, err := NewJobSpec(queue, jobType, opts...)
	if err != nil {
		return nil, err
	}
	return &zenithv1.EnqueueRequest{Job: spec}, nil
}

// EncodeJSON encodes v the way job payloads and results are encoded: compact, UTF-8 as is,
// without escaping < > &, keys in the order encoding/json gives (struct field order; sorted
// map keys).
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WithJSON sets the payload to v encoded as JSON ([EncodeJSON]), content type application/json.
func WithJSON(v any) JobOption {
	return func(b *specBuilder) {
		payload, err := EncodeJSON(v)
		if err != nil {
			b.err = &InvalidArgumentError{Reason: "json payload: " + err.Error()}
			return
		}
		b.spec.Payload = payload
		b.spec.ContentType = "application/json"
	}
}

// WithPayload sets an opaque payload, sent as given, with its media type (may be empty).
func WithPayload(payload []byte, contentType string) JobOption {
	return func(b *specBuilder) {
		b.spec.Payload = payload
		b.spec.ContentType = contentType
	}
}

// WithID sets the job's id; enqueueing the same id into the same queue again returns the
// existing job.
func WithID(id string) JobOption { return func(b *specBuilder) { b.spec.Id = id } }

// WithPriority: higher runs first, -1000 to 1000.
func WithPriority(p int32) JobOption { return func(b *specBuilder) { b.spec.Priority = p } }

// WithMaxAttempts sets the attempts before the job is dead (server default 5).
func WithMaxAttempts(n int32) JobOption { return func(b *specBuilder) { b.spec.MaxAttempts = n } }

// WithTimeout caps one attempt; the handler's context is cancelled when it passes.
func WithTimeout(d time.Duration) JobOption {
	return func(b *specBuilder) { b.spec.Timeout = durationpb.New(d) }
}

// WithDelay makes the job wait this long before it may run.
func WithDelay(d time.Duration) JobOption {
	return func(b *specBuilder) { b.spec.Delay = durationpb.New(d) }
}

// WithRunAt makes the job wait until t.
func WithRunAt(t time.Time) JobOption {
	return func(b *specBuilder) { b.spec.RunAt = timestamppb.New(t) }
}

// WithUniqueKey: while a job with this key is unfinished in the queue, enqueueing another
// returns the existing one.
func WithUniqueKey(key string) JobOption { return func(b *specBuilder) { b.spec.UniqueKey = key } }

// WithUniqueTTL caps how long the unique key holds (server default 24 h).
func WithUniqueTTL(d time.Duration) JobOption {
	return func(b *specBuilder) { b.spec.UniqueTtl = durationpb.New(d) }
}

// WithTags adds labels for finding jobs.
func WithTags(tags ...string) JobOption {
	return func(b *specBuilder) { b.spec.Tags = append(b.spec.Tags, tags...) }
}

// WithHeaders adds free-form metadata carried with the job.
func WithHeaders(headers map[string]string) JobOption {
	return func(b *specBuilder) {
		if b.spec.Headers == nil {
			b.spec.Headers = make(map[string]string, len(headers))
		}
		maps.Copy(b.spec.Headers, headers)
	}
}

// WithBackoff sets the retry backoff: about min(max, base·2^(n-1)) before the n-th retry.
func WithBackoff(base, max time.Duration) JobOption {
	return func(b *specBuilder) {
		b.spec.Backoff = &zenithv1.Backoff{Base: durationpb.New(base), Max: durationpb.New(max)}
	}
}
