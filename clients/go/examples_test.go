package zenith_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	zenith "github.com/zenith-run/zenith/clients/go"
	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// The example programs with the exact interface the cross-language test uses: enqueue in
// batches, then a worker that answers {"by":"go","n":…}, beats as language go, and exits 0
// on SIGTERM.
func TestExamplePrograms(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"enqueue", "worker"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./examples/"+name)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
	}
	queue := uniqueName(t)
	service := "svc-" + uniqueName(t)
	const count = 1100 // three batches

	out, err := exec.Command(filepath.Join(dir, "enqueue"), "-server", serverURL, "-queue", queue,
		"-type", "echo", "-count", fmt.Sprint(count)).Output()
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if last := lines[len(lines)-1]; last != fmt.Sprint(count) {
		t.Fatalf("enqueue printed %q as its last line", last)
	}

	worker := exec.Command(filepath.Join(dir, "worker"), "-server", serverURL, "-queue", queue,
		"-type", "echo", "-service", service)
	var stderr bytes.Buffer
	worker.Stderr = &stderr
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- worker.Wait() }()
	defer func() {
		if worker.ProcessState == nil {
			_ = worker.Process.Kill()
		}
	}()

	client := newClient(t)
	ctx := testContext(t, 60*time.Second)
	eventually(t, 40*time.Second, func() error {
		q, err := client.Queues().GetQueue(ctx, &zenithv1.GetQueueRequest{Name: queue})
		if err != nil {
			return err
		}
		if done := q.GetQueue().GetCounts().GetCompleted(); done != count {
			return fmt.Errorf("%d of %d completed", done, count)
		}
		return nil
	})
	page, err := client.Queues().ListJobs(ctx, &zenithv1.ListJobsRequest{Queue: queue, State: zenithv1.JobState_JOB_STATE_COMPLETED, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range page.GetJobs() {
		var p struct{ N int }
		if err := (&zenith.Job{Proto: job}).DecodeJSON(&p); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"by":"go","n":%d}`, p.N); string(job.GetResult()) != want {
			t.Fatalf("result %s, want %s", job.GetResult(), want)
		}
	}
	eventually(t, 10*time.Second, func() error {
		nodes, err := client.ListNodes(ctx, service, "go")
		if err != nil {
			return err
		}
		if nodes.GetTotalNodes() != 1 {
			return fmt.Errorf("%d nodes of service %s", nodes.GetTotalNodes(), service)
		}
		return nil
	})

	if err := worker.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("worker exited with %v after SIGTERM:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("worker still running 15s after SIGTERM:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "zenith worker stopped") {
		t.Fatalf("no shutdown line:\n%s", stderr.String())
	}
}
