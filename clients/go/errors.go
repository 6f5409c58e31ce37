package zenith

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is a call the server refused or that failed in transport. It keeps the gRPC status:
// [Error.Code] (or status.Code(err), since Error implements GRPCStatus) tells what happened.
//
//	job, err := client.GetJob(ctx, id)
//	if zenith.Code(err) == codes.NotFound { ... }
type Error struct {
	// Op is the SDK call, e.g. "enqueue".
	Op string
	// Status is the server's answer (or the transport failure as a status).
	Status *status.Status
}

func (e *Error) Error() string {
	return fmt.Sprintf("zenith: %s: %s: %s", e.Op, codeName(e.Status.Code()), e.Status.Message())
}

// Code is the gRPC code of the failure.
func (e *Error) Code() codes.Code { return e.Status.Code() }

// GRPCStatus lets status.FromError and status.Code see through an *Error.
func (e *Error) GRPCStatus() *status.Status { return e.Status }

// Reason is the google.rpc.ErrorInfo reason the server gave, such as "LEASE_STALE" or
// "TOO_LARGE", or "" when it gave none.
func (e *Error) Reason() string {
	for _, detail := range e.Status.Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// Transient reports whether retrying later may succeed (the server or its stores were
// unreachable or busy). A size limit (ResourceExhausted, reason "TOO_LARGE") answers the same
// every time, so it is not transient.
func (e *Error) Transient() bool {
	switch e.Status.Code() {
	case codes.ResourceExhausted:
		return e.Reason() != "TOO_LARGE"
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.Unknown, codes.Canceled:
		return true
	}
	return false
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var zerr *Error
	if errors.As(err, &zerr) {
		return err
	}
	return &Error{Op: op, Status: status.Convert(err)}
}

// Code returns the gRPC code of err: codes.OK for nil, the server's code for an [*Error],
// codes.InvalidArgument for a request refused before sending, codes.Unknown otherwise.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var zerr *Error
	if errors.As(err, &zerr) {
		return zerr.Code()
	}
	var invalid *InvalidArgumentError
	if errors.As(err, &invalid) {
		return codes.InvalidArgument
	}
	return status.Code(err)
}

// IsTransient reports whether err is worth retrying later.
func IsTransient(err error) bool {
	var zerr *Error
	return errors.As(err, &zerr) && zerr.Transient()
}

// InvalidArgumentError is a request the SDK refused before sending it, such as a payload over
// the size limit or a batch with too many jobs.
type InvalidArgumentError struct {
	Reason string
}

func (e *InvalidArgumentError) Error() string { return "zenith: invalid argument: " + e.Reason }

// PayloadTooLargeError is a job payload over the client's limit ([WithMaxPayloadBytes],
// default 1 MiB, the server's default); nothing was sent.
type PayloadTooLargeError struct {
	// Index is the job's position in a batch, -1 for a single enqueue.
	Index int
	Size  int
	Limit int
}

func (e *PayloadTooLargeError) Error() string {
	where := ""
	if e.Index >= 0 {
		where = fmt.Sprintf(" (job %d of the batch)", e.Index)
	}
	return fmt.Sprintf("zenith: payload of %d bytes%s is over the limit of %d bytes; nothing was sent", e.Size, where, e.Limit)
}

func codeName(code codes.Code) string {
	switch code {
	case codes.OK:
		return "OK"
	case codes.Canceled:
		return "CANCELLED"
	case codes.Unknown:
		return "UNKNOWN"
	case codes.InvalidArgument:
		return "INVALID_ARGUMENT"
	case codes.DeadlineExceeded:
		return "DEADLINE_EXCEEDED"
	case codes.NotFound:
		return "NOT_FOUND"
	case codes.AlreadyExists:
		return "ALREADY_EXISTS"
	case codes.PermissionDenied:
		return "PERMISSION_DENIED"
	case codes.ResourceExhausted:
		return "RESOURCE_EXHAUSTED"
	case codes.FailedPrecondition:
		return "FAILED_PRECONDITION"
	case codes.Aborted:
		return "ABORTED"
	case codes.OutOfRange:
		return "OUT_OF_RANGE"
	case codes.Unimplemented:
		return "UNIMPLEMENTED"
	case codes.Internal:
		return "INTERNAL"
	case codes.Unavailable:
		return "UNAVAILABLE"
	case codes.DataLoss:
		return "DATA_LOSS"
	case codes.Unauthenticated:
		return "UNAUTHENTICATED"
	}
	return code.String()
}
