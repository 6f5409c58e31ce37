package zenith_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	zenith "github.com/zenith-run/zenith/clients/go"
)

func ExampleClient_Enqueue() {
	client, err := zenith.Dial("http://127.0.0.1:7700")
	if err != nil {
		panic(err)
	}
	defer client.Close()
	res, err := client.Enqueue(context.Background(), "emails", "send_welcome",
		zenith.WithJSON(map[string]any{"user_id": 42}),
		zenith.WithMaxAttempts(3),
		zenith.WithTimeout(30*time.Second))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Job.GetId(), res.Duplicate)
}

func ExampleWorker() {
	client, err := zenith.Dial("http://127.0.0.1:7700")
	if err != nil {
		panic(err)
	}
	defer client.Close()

	identity := zenith.DetectIdentity("billing-worker")
	logs := zenith.StartLogShipper(client, identity)
	defer logs.Close()
	logger := slog.New(logs.Handler(slog.LevelInfo, slog.NewTextHandler(os.Stderr, nil)))

	w, err := zenith.NewWorker(client, zenith.Queues("billing"), zenith.Concurrency(20),
		zenith.PulseIdentity(identity), zenith.WithLogger(logger))
	if err != nil {
		panic(err)
	}
	w.Handle("charge", func(ctx context.Context, job *zenith.Job) error {
		var p struct {
			Cents int `json:"cents"`
		}
		if err := job.DecodeJSON(&p); err != nil {
			return zenith.Permanent(err)
		}
		logger.InfoContext(ctx, "charging", "cents", p.Cents) // tagged with the job
		return job.SetResultJSON(map[string]bool{"charged": true})
	})
	ctx, stop := zenith.SignalContext(context.Background())
	defer stop()
	if err := w.Run(ctx); err != nil {
		logger.Error("worker stopped", "error", err)
	}
}
