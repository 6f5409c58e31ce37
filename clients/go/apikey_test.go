package zenith_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	zenith "github.com/zenith-run/zenith/clients/go"
	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// bootstrapToken is the admin key the keyed test server creates at start.
const bootstrapToken = "zk_bootstrap_0123456789abcdefghijklmnopqrstuvwxyzABCD"

// startKeyedServer runs a server of its own that has an API key (so it is not open), on the
// shared Redis under a prefix of its own; it stops with the test.
func startKeyedServer(t *testing.T) string {
	t.Helper()
	port := freePort()
	stop, err := startServer(port, "keys-"+uniqueName(t), t.TempDir(), "--bootstrap-admin-key", bootstrapToken)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// Against a server with keys: the bootstrap key is admin, a worker key it makes runs the whole
// enqueue → work → ack round, and calls without a key or beyond the key's role are refused.
func TestAPIKeys(t *testing.T) {
	url := startKeyedServer(t)
	admin := dial(t, url, zenith.WithAPIKey(bootstrapToken))

	t.Run("bootstrap key is admin", func(t *testing.T) {
		me, err := admin.WhoAmI(testContext(t, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if me.GetRole() != zenithv1.Role_ROLE_ADMIN || me.GetOpen() || me.GetKey().GetId() != "bootstrap" ||
			me.GetPrincipal() != "key:bootstrap" {
			t.Fatalf("whoami with the bootstrap key: %v", me)
		}
	})

	ctx := testContext(t, 60*time.Second)
	created, err := admin.Admin().CreateApiKey(ctx, &zenithv1.CreateApiKeyRequest{
		Name: "go sdk worker", Role: zenithv1.Role_ROLE_WORKER,
	})
	if err != nil {
		t.Fatal(err)
	}
	workerClient := dial(t, url, zenith.WithAPIKey(created.GetToken()))

	t.Run("worker key enqueues, works and acks", func(t *testing.T) {
		me, err := workerClient.WhoAmI(ctx)
		if err != nil || me.GetRole() != zenithv1.Role_ROLE_WORKER || me.GetOpen() {
			t.Fatalf("whoami with the worker key: %v, %v", me, err)
		}
		queue := uniqueName(t)
		res, err := workerClient.Enqueue(ctx, queue, "greet", zenith.WithJSON(map[string]string{"name": "Ada"}))
		if err != nil {
			t.Fatal(err)
		}
		// Pulse on: beats go with the worker key too.
		w, err := zenith.NewWorker(workerClient, baseOptions(queue)...)
		if err != nil {
			t.Fatal(err)
		}
		w.Handle("greet", func(ctx context.Context, job *zenith.Job) error {
			var p struct{ Name string }
			if err := job.DecodeJSON(&p); err != nil {
				return err
			}
			return job.SetResultJSON(map[string]string{"hello": p.Name})
		})
		stop := startWorker(t, w)
		waitState(t, workerClient, res.Job.GetId(), zenithv1.JobState_JOB_STATE_COMPLETED, 15*time.Second)
		if err := stop(); err != nil {
			t.Fatalf("worker stopped with %v", err)
		}
		job, err := admin.GetJob(ctx, res.Job.GetId())
		if err != nil {
			t.Fatal(err)
		}
		if string(job.GetResult()) != `{"hello":"Ada"}` || job.GetAttempts() != 1 {
			t.Fatalf("job as the admin sees it: %v", job)
		}
	})

	t.Run("no key is unauthenticated", func(t *testing.T) {
		anonymous := dial(t, url, zenith.WithAPIKey(""))
		_, err := anonymous.Enqueue(ctx, uniqueName(t), "t")
		var zerr *zenith.Error
		if !errors.As(err, &zerr) || zerr.Code() != codes.Unauthenticated || zerr.Transient() {
			t.Fatalf("enqueue without a key: %v", err)
		}
		// A streaming call is refused the same way.
		stream, err := anonymous.PulseService().WatchNodes(ctx, &zenithv1.WatchNodesRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if zenith.Code(err) != codes.Unauthenticated {
			t.Fatalf("watch nodes without a key: %v", err)
		}
		// A worker without a key stops at once instead of retrying forever.
		w, err := zenith.NewWorker(anonymous, baseOptions(uniqueName(t), zenith.WithoutPulse())...)
		if err != nil {
			t.Fatal(err)
		}
		w.Handle("t", func(context.Context, *zenith.Job) error { return nil })
		runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := w.Run(runCtx); zenith.Code(err) != codes.Unauthenticated {
			t.Fatalf("worker without a key ran until %v", err)
		}
		// A key the server does not know is no better.
		stranger := dial(t, url, zenith.WithAPIKey("zk_nobody_0123456789abcdefghijklmnopqrstuvwxyzABCD"))
		if _, err := stranger.WhoAmI(ctx); zenith.Code(err) != codes.Unauthenticated {
			t.Fatalf("whoami with an unknown key: %v", err)
		}
	})

	t.Run("worker key may not read the control plane", func(t *testing.T) {
		_, err := workerClient.ListNodes(ctx, "", "")
		var zerr *zenith.Error
		if !errors.As(err, &zerr) || zerr.Code() != codes.PermissionDenied {
			t.Fatalf("list nodes with a worker key: %v", err)
		}
		_, err = workerClient.Queues().ListQueues(ctx, &zenithv1.ListQueuesRequest{})
		if zenith.Code(err) != codes.PermissionDenied {
			t.Fatalf("list queues with a worker key: %v", err)
		}
		// The admin key may.
		if _, err := admin.Queues().ListQueues(ctx, &zenithv1.ListQueuesRequest{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ZENITH_API_KEY is the default key", func(t *testing.T) {
		t.Setenv(zenith.APIKeyEnv, bootstrapToken)
		fromEnv := dial(t, url)
		me, err := fromEnv.WhoAmI(ctx)
		if err != nil || me.GetRole() != zenithv1.Role_ROLE_ADMIN {
			t.Fatalf("whoami with the key from the environment: %v, %v", me, err)
		}
		// The option wins over the environment.
		asWorker := dial(t, url, zenith.WithAPIKey(created.GetToken()))
		if me, err := asWorker.WhoAmI(ctx); err != nil || me.GetRole() != zenithv1.Role_ROLE_WORKER {
			t.Fatalf("whoami with WithAPIKey over the environment: %v, %v", me, err)
		}
	})
}

// authRecorder is a gRPC server of no substance that records the authorization metadata of
// every call, unary and streaming, and refuses the call.
type authRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *authRecorder) record(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, fmt.Sprint(md.Get("authorization")))
}

func (r *authRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := r.seen
	r.seen = nil
	return seen
}

func startAuthRecorder(t *testing.T) (string, *authRecorder) {
	t.Helper()
	rec := &authRecorder{}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			rec.record(ctx)
			return handler(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			rec.record(ss.Context())
			return handler(srv, ss)
		}),
	)
	zenithv1.RegisterAdminServiceServer(srv, zenithv1.UnimplementedAdminServiceServer{})
	zenithv1.RegisterPulseServiceServer(srv, zenithv1.UnimplementedPulseServiceServer{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return "http://" + lis.Addr().String(), rec
}

// The key goes as `authorization: Bearer …` over plaintext on unary and streaming calls;
// Dial falls back to $ZENITH_API_KEY, WithAPIKey("") sends none, and a caller's own
// authorization metadata is left alone. No Zenith server involved.
func TestAPIKeyIsSentOnEveryCall(t *testing.T) {
	url, rec := startAuthRecorder(t)
	ctx := testContext(t, 10*time.Second)
	calls := func(c *zenith.Client, callCtx context.Context) []string {
		t.Helper()
		_, _ = c.Admin().WhoAmI(callCtx, &zenithv1.WhoAmIRequest{})
		if stream, err := c.PulseService().WatchNodes(callCtx, &zenithv1.WatchNodesRequest{}); err == nil {
			_, _ = stream.Recv()
		}
		return rec.take()
	}
	check := func(name string, got []string, want string) {
		t.Helper()
		if len(got) != 2 || got[0] != want || got[1] != want {
			t.Fatalf("%s: unary and streaming calls sent %q, want %s on both", name, got, want)
		}
	}

	t.Setenv(zenith.APIKeyEnv, "")
	check("no key anywhere", calls(dial(t, url), ctx), "[]")
	check("WithAPIKey", calls(dial(t, url, zenith.WithAPIKey("zk_opt_secret")), ctx), "[Bearer zk_opt_secret]")

	t.Setenv(zenith.APIKeyEnv, "zk_env_secret")
	check("ZENITH_API_KEY", calls(dial(t, url), ctx), "[Bearer zk_env_secret]")
	check("WithAPIKey over ZENITH_API_KEY", calls(dial(t, url, zenith.WithAPIKey("zk_opt_secret")), ctx), "[Bearer zk_opt_secret]")
	check("WithAPIKey(\"\") over ZENITH_API_KEY", calls(dial(t, url, zenith.WithAPIKey("")), ctx), "[]")
	own := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer zk_own_secret")
	check("the caller's own metadata", calls(dial(t, url), own), "[Bearer zk_own_secret]")

	// New (a connection the caller made) takes WithAPIKey and ignores the environment.
	conn, err := grpc.NewClient(url[len("http://"):], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	check("New without WithAPIKey", calls(zenith.New(conn), ctx), "[]")
	check("New with WithAPIKey", calls(zenith.New(conn, zenith.WithAPIKey("zk_new_secret")), ctx), "[Bearer zk_new_secret]")
	conn.Close()
}
