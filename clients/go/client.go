package zenith

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

// DefaultMaxPayloadBytes is the server's default limit on a job's payload (and result).
const DefaultMaxPayloadBytes = 1 << 20

// APIKeyEnv is the environment variable [Dial] reads the API key from when no [WithAPIKey]
// is given.
const APIKeyEnv = "ZENITH_API_KEY"

// maxBatch is the most jobs one BatchEnqueue (and acks one Ack) may carry.
const maxBatch = 1000

// Client talks to one Zenith server. It is safe for concurrent use; create one per process.
type Client struct {
	conn       *grpc.ClientConn
	queue      zenithv1.QueueServiceClient
	worker     zenithv1.WorkerServiceClient
	pulse      zenithv1.PulseServiceClient
	logs       zenithv1.LogServiceClient
	admin      zenithv1.AdminServiceClient
	maxPayload int
}

type clientConfig struct {
	maxPayload  int
	dialOptions []grpc.DialOption
	tls         *tls.Config
	apiKey      *string
}

// Option configures a [Client].
type Option func(*clientConfig)

// WithMaxPayloadBytes sets the largest payload the client sends (default 1 MiB, the server's
// default; match the server's --max-payload-bytes). Larger payloads are refused with a
// [*PayloadTooLargeError] before anything is sent, and a handler's larger result fails its job.
func WithMaxPayloadBytes(n int) Option {
	return func(c *clientConfig) { c.maxPayload = n }
}

// WithDialOptions adds gRPC dial options (interceptors, custom credentials, …); they come
// after the client's own, so they win.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *clientConfig) { c.dialOptions = append(c.dialOptions, opts...) }
}

// WithAPIKey sends key (`zk_<id>_<secret>`) as `authorization: Bearer <key>` with every call,
// unary and streaming, over TLS and plaintext alike (a loopback server is usually plaintext).
// Without this option [Dial] uses $ZENITH_API_KEY when set; WithAPIKey("") sends no key
// whatever the environment says. A server with no API keys runs open and needs none.
func WithAPIKey(key string) Option {
	return func(c *clientConfig) { c.apiKey = &key }
}

// WithTLSConfig uses TLS with this configuration, whatever the URL's scheme.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *clientConfig) { c.tls = cfg }
}

// Dial creates a client for server, e.g. "http://127.0.0.1:7700" (plaintext),
// "https://zenith.example.com" (TLS) or "127.0.0.1:7700". It does not wait for the server:
// the connection is made on first use and re-made after failures, so a worker may start
// before its server does.
func Dial(server string, opts ...Option) (*Client, error) {
	cfg := clientConfig{maxPayload: DefaultMaxPayloadBytes}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.apiKey == nil {
		key := os.Getenv(APIKeyEnv)
		cfg.apiKey = &key
	}
	target, useTLS, err := parseServer(server)
	if err != nil {
		return nil, err
	}
	creds := insecure.NewCredentials()
	if cfg.tls != nil {
		creds = credentials.NewTLS(cfg.tls)
	} else if useTLS {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		// Reconnect quickly once an unreachable server comes back.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
			MinConnectTimeout: 5 * time.Second,
		}),
		// A reserve of many jobs may carry many payloads of up to the server's limit each.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30), grpc.MaxCallSendMsgSize(1<<30)),
	}
	dialOpts = append(dialOpts, cfg.dialOptions...)
	conn, err := grpc.NewClient(target, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("zenith: dial %s: %w", server, err)
	}
	c := newClient(conn, cfg)
	return c, nil
}

// New wraps a connection the caller made; Close then closes it. It sends an API key only when
// given [WithAPIKey] ($ZENITH_API_KEY is for [Dial]): such a connection may carry credentials
// of its own.
func New(conn *grpc.ClientConn, opts ...Option) *Client {
	cfg := clientConfig{maxPayload: DefaultMaxPayloadBytes}
	for _, opt := range opts {
		opt(&cfg)
	}
	return newClient(conn, cfg)
}

func newClient(conn *grpc.ClientConn, cfg clientConfig) *Client {
	var cc grpc.ClientConnInterface = conn
	if cfg.apiKey != nil && strings.TrimSpace(*cfg.apiKey) != "" {
		cc = keyedConn{ClientConn: conn, authorization: "Bearer " + strings.TrimSpace(*cfg.apiKey)}
	}
	return &Client{
		conn:       conn,
		queue:      zenithv1.NewQueueServiceClient(cc),
		worker:     zenithv1.NewWorkerServiceClient(cc),
		pulse:      zenithv1.NewPulseServiceClient(cc),
		logs:       zenithv1.NewLogServiceClient(cc),
		admin:      zenithv1.NewAdminServiceClient(cc),
		maxPayload: cfg.maxPayload,
	}
}

// keyedConn adds the API key to the metadata of every call made through it. It is not a
// grpc.PerRPCCredentials: grpc-go sends those only over TLS unless they opt out, and a
// connection the caller made ([New]) cannot take dial options any more.
type keyedConn struct {
	*grpc.ClientConn
	authorization string
}

func (k keyedConn) withKey(ctx context.Context) context.Context {
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		return ctx // the caller set its own
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", k.authorization)
}

func (k keyedConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return k.ClientConn.Invoke(k.withKey(ctx), method, args, reply, opts...)
}

func (k keyedConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return k.ClientConn.NewStream(k.withKey(ctx), desc, method, opts...)
}

func parseServer(server string) (target string, useTLS bool, err error) {
	if !strings.Contains(server, "://") {
		if server == "" {
			return "", false, &InvalidArgumentError{Reason: "empty server address"}
		}
		return server, false, nil
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", false, &InvalidArgumentError{Reason: fmt.Sprintf("server url %q: %v", server, err)}
	}
	host := u.Host
	switch u.Scheme {
	case "http":
		if u.Port() == "" {
			host += ":80"
		}
		return host, false, nil
	case "https":
		if u.Port() == "" {
			host += ":443"
		}
		return host, true, nil
	}
	return "", false, &InvalidArgumentError{Reason: fmt.Sprintf("server url %q: scheme must be http or https", server)}
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// MaxPayloadBytes is the largest payload this client sends.
func (c *Client) MaxPayloadBytes() int { return c.maxPayload }

// Queues is the generated QueueService client, for the calls this SDK does not wrap.
func (c *Client) Queues() zenithv1.QueueServiceClient { return c.queue }

// Workers is the generated WorkerService client (Reserve, Ack, Fail, ExtendLease).
func (c *Client) Workers() zenithv1.WorkerServiceClient { return c.worker }

// PulseService is the generated PulseService client (Beat, ListNodes, QuietNode, …).
func (c *Client) PulseService() zenithv1.PulseServiceClient { return c.pulse }

// Logs is the generated LogService client (WriteLogs, TailLogs, SearchLogs).
func (c *Client) Logs() zenithv1.LogServiceClient { return c.logs }

// Admin is the generated AdminService client (WhoAmI, CreateApiKey, ListApiKeys, …).
func (c *Client) Admin() zenithv1.AdminServiceClient { return c.admin }

// Enqueued is the answer to an enqueue.
type Enqueued struct {
	Job *zenithv1.Job
	// Duplicate is true when the job existed already (same id or unique key).
	Duplicate bool
}

// Enqueue adds one job of jobType to queue. The payload and every other setting are options:
//
//	client.Enqueue(ctx, "emails", "send_welcome", zenith.WithJSON(user), zenith.WithDelay(time.Minute))
func (c *Client) Enqueue(ctx context.Context, queue, jobType string, opts ...JobOption) (*Enqueued, error) {
	req, err := NewEnqueueRequest(queue, jobType, opts...)
	if err != nil {
		return nil, err
	}
	return c.EnqueueRequest(ctx, req)
}

// EnqueueRequest sends a request built with [NewEnqueueRequest] (or by hand).
func (c *Client) EnqueueRequest(ctx context.Context, req *zenithv1.EnqueueRequest) (*Enqueued, error) {
	if req.GetJob() == nil {
		return nil, &InvalidArgumentError{Reason: "enqueue request without a job"}
	}
	if n := len(req.GetJob().GetPayload()); n > c.maxPayload {
		return nil, &PayloadTooLargeError{Index: -1, Size: n, Limit: c.maxPayload}
	}
	resp, err := c.queue.Enqueue(ctx, req)
	if err != nil {
		return nil, wrap("enqueue", err)
	}
	return &Enqueued{Job: resp.GetJob(), Duplicate: resp.GetDuplicate()}, nil
}

// BatchEnqueue adds up to 1,000 jobs (built with [NewJobSpec]) all or nothing: the server
// refuses the whole batch when one job is bad. The answer has one entry per job, in order.
func (c *Client) BatchEnqueue(ctx context.Context, jobs []*zenithv1.JobSpec) ([]*zenithv1.EnqueuedJob, error) {
	if len(jobs) == 0 || len(jobs) > maxBatch {
		return nil, &InvalidArgumentError{Reason: fmt.Sprintf("a batch holds 1 to %d jobs, not %d", maxBatch, len(jobs))}
	}
	for i, job := range jobs {
		if n := len(job.GetPayload()); n > c.maxPayload {
			return nil, &PayloadTooLargeError{Index: i, Size: n, Limit: c.maxPayload}
		}
	}
	resp, err := c.queue.BatchEnqueue(ctx, &zenithv1.BatchEnqueueRequest{Jobs: jobs})
	if err != nil {
		return nil, wrap("batch enqueue", err)
	}
	return resp.GetJobs(), nil
}

// GetJob returns one job by id, from Redis or, once gone from there, the archive.
func (c *Client) GetJob(ctx context.Context, id string) (*zenithv1.Job, error) {
	resp, err := c.queue.GetJob(ctx, &zenithv1.GetJobRequest{Id: id})
	if err != nil {
		return nil, wrap("get job", err)
	}
	return resp.GetJob(), nil
}

// CancelJob cancels a job that is not running at once; a running one gets a cancellation
// request its worker sees within a third of its lease (its handler's context is cancelled).
func (c *Client) CancelJob(ctx context.Context, id, reason string) (*zenithv1.CancelJobResponse, error) {
	resp, err := c.queue.CancelJob(ctx, &zenithv1.CancelJobRequest{Id: id, Reason: reason})
	if err != nil {
		return nil, wrap("cancel job", err)
	}
	return resp, nil
}

// ListNodes lists the nodes that beat, grouped by service; service and language filter when
// not empty.
func (c *Client) ListNodes(ctx context.Context, service, language string) (*zenithv1.ListNodesResponse, error) {
	resp, err := c.pulse.ListNodes(ctx, &zenithv1.ListNodesRequest{Service: service, Language: language})
	if err != nil {
		return nil, wrap("list nodes", err)
	}
	return resp, nil
}

// WhoAmI tells who the server takes the caller for: its API key and role, or open mode (no
// keys on the server: every caller is admin).
func (c *Client) WhoAmI(ctx context.Context) (*zenithv1.WhoAmIResponse, error) {
	resp, err := c.admin.WhoAmI(ctx, &zenithv1.WhoAmIRequest{})
	if err != nil {
		return nil, wrap("who am i", err)
	}
	return resp, nil
}

// SearchLogs searches the archived log lines.
func (c *Client) SearchLogs(ctx context.Context, req *zenithv1.SearchLogsRequest) (*zenithv1.SearchLogsResponse, error) {
	resp, err := c.logs.SearchLogs(ctx, req)
	if err != nil {
		return nil, wrap("search logs", err)
	}
	return resp, nil
}
