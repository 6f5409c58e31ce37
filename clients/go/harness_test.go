package zenith_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	zenith "github.com/zenith-run/zenith/clients/go"
)

// The tests run against a real server and a real Redis, started once for the package.
var (
	zenithBin string
	redisPort int
	serverURL string
	tmpRoot   string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	bin, err := findZenithBin()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	zenithBin = bin
	if _, err := exec.LookPath("redis-server"); err != nil {
		fmt.Fprintln(os.Stderr, "redis-server not found on PATH; install it (./run-tests does)")
		return 1
	}
	tmpRoot, err = os.MkdirTemp("", "zenith-go-sdk-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmpRoot)

	redisPort = freePort()
	stopRedis, err := startRedis(redisPort)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopRedis()
	port := freePort()
	stopServer, err := startServer(port, "zenith", filepath.Join(tmpRoot, "main"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopServer()
	serverURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	return m.Run()
}

// findZenithBin: $ZENITH_BIN, else <repo root>/target/debug/zenith.
func findZenithBin() (string, error) {
	bin := os.Getenv("ZENITH_BIN")
	if bin == "" {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			return "", err
		}
		bin = filepath.Join(root, "target", "debug", "zenith")
	}
	if info, err := os.Stat(bin); err != nil || info.IsDir() {
		return "", fmt.Errorf("zenith server binary not found at %s: run `cargo build -p zenith-server` "+
			"in the repository root, or set ZENITH_BIN to the binary", bin)
	}
	return bin, nil
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startRedis(port int) (func(), error) {
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("redis-server did not listen on %d", port)
}

// startServer runs `zenith serve` on port with its own key prefix and SQLite file, and waits
// for /readyz. extra are more arguments of `zenith serve`.
func startServer(port int, prefix, dir string, extra ...string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(zenithBin, "serve",
		"--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--redis-url", fmt.Sprintf("redis://127.0.0.1:%d", redisPort),
		"--database-url", "sqlite://"+filepath.Join(dir, "zenith.db"),
		"--prefix", prefix,
		"--data-dir", filepath.Join(dir, "data"))
	cmd.Args = append(cmd.Args, extra...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", zenithBin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
	}
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			logs, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			return nil, fmt.Errorf("zenith serve exited early:\n%s", logs)
		default:
		}
		resp, err := http.Get(ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stop, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("zenith serve not ready on %d within 30s", port)
}

// newClient is a client of the shared server, closed with the test.
func newClient(t *testing.T, opts ...zenith.Option) *zenith.Client {
	t.Helper()
	return dial(t, serverURL, opts...)
}

// dial is a client of the server at url, closed with the test.
func dial(t *testing.T, url string, opts ...zenith.Option) *zenith.Client {
	t.Helper()
	c, err := zenith.Dial(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// uniqueName makes queue and service names no other test uses.
func uniqueName(t *testing.T) string {
	return fmt.Sprintf("go-%s-%d", sanitize(t.Name()), time.Now().UnixNano()%1_000_000_000)
}

func sanitize(s string) string {
	out := []rune{}
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			out = append(out, c)
		} else {
			out = append(out, '-')
		}
	}
	return string(out)
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls check until it returns nil or the time is up.
func eventually(t *testing.T, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("not within %s: %v", d, err)
}
