// Command worker handles jobs of one type, answering {"by":"go","n":<payload n>}, with its
// pulse on, until SIGTERM or SIGINT; then it finishes the running jobs and exits 0.
//
//	go run ./examples/worker -server http://127.0.0.1:7700 -queue Q -type T -service S
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	zenith "github.com/zenith-run/zenith/clients/go"
)

func main() {
	server := flag.String("server", "http://127.0.0.1:7700", "Zenith server URL")
	queue := flag.String("queue", "default", "queue to work")
	jobType := flag.String("type", "example", "job type to handle")
	service := flag.String("service", "go-example-worker", "service name in the pulse")
	flag.Parse()

	if err := run(*server, *queue, *jobType, *service); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(server, queue, jobType, service string) error {
	client, err := zenith.Dial(server)
	if err != nil {
		return err
	}
	defer client.Close()

	identity := zenith.DetectIdentity(service)
	logs := zenith.StartLogShipper(client, identity)
	defer logs.Close()
	logger := slog.New(logs.Handler(slog.LevelInfo, slog.NewTextHandler(os.Stderr, nil)))

	worker, err := zenith.NewWorker(client,
		zenith.Queues(queue),
		zenith.PulseIdentity(identity),
		zenith.WithLogger(logger),
	)
	if err != nil {
		return err
	}
	worker.Handle(jobType, func(ctx context.Context, job *zenith.Job) error {
		var payload struct {
			N int64 `json:"n"`
		}
		if err := job.DecodeJSON(&payload); err != nil {
			return zenith.Permanent(err)
		}
		return job.SetResultJSON(struct {
			By string `json:"by"`
			N  int64  `json:"n"`
		}{"go", payload.N})
	})

	ctx, stop := zenith.SignalContext(context.Background())
	defer stop()
	return worker.Run(ctx)
}
