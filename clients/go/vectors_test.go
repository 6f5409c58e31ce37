package zenith_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	zenith "github.com/zenith-run/zenith/clients/go"
	"github.com/zenith-run/zenith/clients/go/gen/zenithv1"
)

var vectorsDir = filepath.Join("..", "..", "tests", "vectors")

// Each valid pulse vector's JSON and binary forms decode to equal BeatPayloads; invalid ones
// are refused by the SDK's parser.
func TestPulseVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorsDir, "pulse", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pulse vectors found: %v", err)
	}
	valid := 0
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fromJSON, err := zenith.ParseBeatPayload(data)
			if strings.HasPrefix(name, "invalid-") {
				if err == nil {
					t.Fatalf("invalid vector accepted: %v", fromJSON)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			bin, err := os.ReadFile(strings.TrimSuffix(file, ".json") + ".binpb")
			if err != nil {
				t.Fatal(err)
			}
			fromBinary := &zenithv1.BeatPayload{}
			if err := proto.Unmarshal(bin, fromBinary); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(fromJSON, fromBinary) {
				t.Fatalf("JSON and binary differ:\njson:   %v\nbinary: %v", fromJSON, fromBinary)
			}
			valid++
		})
	}
	if valid == 0 {
		t.Fatal("no valid pulse vector checked")
	}
}

type jobVector struct {
	Input struct {
		Queue       string          `json:"queue"`
		Type        string          `json:"type"`
		JSON        json.RawMessage `json:"json"`
		BytesBase64 *string         `json:"bytes_base64"`
		ContentType string          `json:"content_type"`
		Options     *struct {
			ID               *string           `json:"id"`
			Priority         *int32            `json:"priority"`
			MaxAttempts      *int32            `json:"max_attempts"`
			TimeoutSeconds   *int64            `json:"timeout_seconds"`
			DelaySeconds     *int64            `json:"delay_seconds"`
			UniqueKey        *string           `json:"unique_key"`
			UniqueTTLSeconds *int64            `json:"unique_ttl_seconds"`
			Tags             []string          `json:"tags"`
			Headers          map[string]string `json:"headers"`
		} `json:"options"`
	} `json:"input"`
}

// Each job vector's input, built into an EnqueueRequest with the SDK's own API, equals the
// vector's binary request.
func TestJobVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorsDir, "jobs", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no job vectors found: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var v jobVector
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			var opts []zenith.JobOption
			in := v.Input
			switch {
			case len(in.JSON) > 0:
				// The value as a caller would hand it: decoded into Go values.
				dec := json.NewDecoder(bytes.NewReader(in.JSON))
				dec.UseNumber()
				var value any
				if err := dec.Decode(&value); err != nil {
					t.Fatal(err)
				}
				opts = append(opts, zenith.WithJSON(value))
			case in.BytesBase64 != nil:
				raw, err := base64.StdEncoding.DecodeString(*in.BytesBase64)
				if err != nil {
					t.Fatal(err)
				}
				opts = append(opts, zenith.WithPayload(raw, in.ContentType))
			}
			if o := in.Options; o != nil {
				if o.ID != nil {
					opts = append(opts, zenith.WithID(*o.ID))
				}
				if o.Priority != nil {
					opts = append(opts, zenith.WithPriority(*o.Priority))
				}
				if o.MaxAttempts != nil {
					opts = append(opts, zenith.WithMaxAttempts(*o.MaxAttempts))
				}
				if o.TimeoutSeconds != nil {
					opts = append(opts, zenith.WithTimeout(time.Duration(*o.TimeoutSeconds)*time.Second))
				}
				if o.DelaySeconds != nil {
					opts = append(opts, zenith.WithDelay(time.Duration(*o.DelaySeconds)*time.Second))
				}
				if o.UniqueKey != nil {
					opts = append(opts, zenith.WithUniqueKey(*o.UniqueKey))
				}
				if o.UniqueTTLSeconds != nil {
					opts = append(opts, zenith.WithUniqueTTL(time.Duration(*o.UniqueTTLSeconds)*time.Second))
				}
				if o.Tags != nil {
					opts = append(opts, zenith.WithTags(o.Tags...))
				}
				if o.Headers != nil {
					opts = append(opts, zenith.WithHeaders(o.Headers))
				}
			}
			got, err := zenith.NewEnqueueRequest(in.Queue, in.Type, opts...)
			if err != nil {
				t.Fatal(err)
			}
			bin, err := os.ReadFile(strings.TrimSuffix(file, ".json") + ".binpb")
			if err != nil {
				t.Fatal(err)
			}
			want := &zenithv1.EnqueueRequest{}
			if err := proto.Unmarshal(bin, want); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, want) {
				t.Fatalf("request differs:\ngot:  %v\nwant: %v\npayload got %q want %q", got, want,
					got.GetJob().GetPayload(), want.GetJob().GetPayload())
			}
		})
	}
}

// A struct payload keeps its field order, and HTML characters stay as they are.
func TestEncodeJSONIsCompactAndUnescaped(t *testing.T) {
	got, err := zenith.EncodeJSON(struct {
		Z string `json:"z"`
		A int    `json:"a"`
	}{"<a href=\"/x\">&é</a>", 1})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"z":"<a href=\"/x\">&é</a>","a":1}`
	if string(got) != want {
		t.Fatalf("got %s want %s", got, want)
	}
}
