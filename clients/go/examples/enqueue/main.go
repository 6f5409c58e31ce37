// Command enqueue adds N jobs of one type to a queue through BatchEnqueue (batches of at most
// 500), with payload {"n":i}, and prints how many it enqueued.
//
//	go run ./examples/enqueue -server http://127.0.0.1:7700 -queue Q -type T -count N
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	zenith "github.com/zenith-run/zenith/clients/go"
	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

func main() {
	server := flag.String("server", "http://127.0.0.1:7700", "Zenith server URL")
	queue := flag.String("queue", "default", "queue to enqueue into")
	jobType := flag.String("type", "example", "job type")
	count := flag.Int("count", 1, "how many jobs")
	flag.Parse()

	n, err := run(*server, *queue, *jobType, *count)
	if err != nil {
		fmt.Fprintln(os.Stderr, "enqueue:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}

func run(server, queue, jobType string, count int) (int, error) {
	client, err := zenith.Dial(server)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	enqueued := 0
	for start := 0; start < count; start += 500 {
		end := min(start+500, count)
		specs := make([]*zenithv1.JobSpec, 0, end-start)
		for i := start; i < end; i++ {
			spec, err := zenith.NewJobSpec(queue, jobType, zenith.WithJSON(map[string]int{"n": i}))
			if err != nil {
				return enqueued, err
			}
			specs = append(specs, spec)
		}
		jobs, err := client.BatchEnqueue(ctx, specs)
		if err != nil {
			return enqueued, err
		}
		enqueued += len(jobs)
	}
	return enqueued, nil
}
