// Package zenith is the Go SDK of Zenith, a job-processing control plane.
//
// A [Client] enqueues and inspects jobs over gRPC. A [Worker] reserves jobs in batches, runs
// one handler per job type with a context that is cancelled when the job must stop (operator
// cancellation, timeout, lost lease), keeps each lease alive, and acks or fails the attempt;
// a panic becomes a failed attempt with its stack trace. A [PulseAgent] reports the process
// to the server every few seconds (the worker runs one by itself), and [LogShipper] with
// [LogShipper.Handler] ships log/slog records to the server in batches, tagged with the job
// a line was logged for.
//
// A server with API keys wants one with every call: [WithAPIKey] on [Dial], else
// $ZENITH_API_KEY ([APIKeyEnv]).
//
//	client, err := zenith.Dial("http://127.0.0.1:7700")
//	if err != nil { ... }
//	defer client.Close()
//	res, err := client.Enqueue(ctx, "emails", "send_welcome",
//		zenith.WithJSON(map[string]any{"user_id": 42}), zenith.WithMaxAttempts(3))
//
//	w, err := zenith.NewWorker(client, zenith.Queues("emails"), zenith.Concurrency(10))
//	w.Handle("send_welcome", func(ctx context.Context, job *zenith.Job) error {
//		var p struct{ UserID int `json:"user_id"` }
//		if err := job.DecodeJSON(&p); err != nil {
//			return zenith.Permanent(err) // no retry
//		}
//		return nil
//	})
//	ctx, stop := zenith.SignalContext(context.Background()) // SIGINT / SIGTERM
//	defer stop()
//	err = w.Run(ctx) // returns once running jobs are finished and acked
package zenith

// Version is this SDK's version, reported in beats as `zenith-sdk-go <Version>`.
const Version = "0.1.0"
