package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/wharfhq/wharf/auth"
	"github.com/wharfhq/wharf/crate/cratetest"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/internal/testserver"
)

// seed publishes n versions of name through the service (the real publish
// path: validation, blob, transaction, index render).
func seed(b *testing.B, s *testserver.Server, name string, n int) {
	b.Helper()
	p, err := s.Registry.Authenticate(context.Background(), auth.Credential{Secret: s.AdminToken})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		vers := fmt.Sprintf("1.0.%d", i)
		body := cratetest.PublishBody(cratetest.Metadata(name, vers), cratetest.Build(name, vers, nil))
		if _, err := s.Registry.Publish(context.Background(), p, bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
}

func get(b *testing.B, c *http.Client, url, token, etag string, want int) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", token)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("GET %s: status %d, want %d", url, resp.StatusCode, want)
	}
}

// BenchmarkIndexGet measures sparse index GETs (200 with body, 304 with a
// matching ETag) for crates with 21 and 500 versions, from parallel clients.
func BenchmarkIndexGet(b *testing.B) {
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			s := testserver.Start(b, engine, nil)
			seed(b, s, "bench-small", 21)
			seed(b, s, "bench-large", 500)
			for _, tc := range []struct {
				name, path string
			}{{"21", "be/nc/bench-small"}, {"500", "be/nc/bench-large"}} {
				url := s.URL + "/index/" + tc.path
				_, h, body := s.Do(b, http.MethodGet, "/index/"+tc.path, s.AdminToken, nil, nil)
				etag := h.Get("ETag")
				b.Run(tc.name+"/200", func(b *testing.B) {
					c := benchClient()
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							get(b, c, url, s.AdminToken, "", http.StatusOK)
						}
					})
				})
				b.Run(tc.name+"/304", func(b *testing.B) {
					c := benchClient()
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							get(b, c, url, s.AdminToken, etag, http.StatusNotModified)
						}
					})
				})
			}
		})
	}
}

// BenchmarkDownload measures .crate downloads (counting included).
func BenchmarkDownload(b *testing.B) {
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			s := testserver.Start(b, engine, nil)
			seed(b, s, "bench-dl", 1)
			url := s.URL + "/api/v1/crates/bench-dl/1.0.0/download"
			c := benchClient()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					get(b, c, url, s.AdminToken, "", http.StatusOK)
				}
			})
		})
	}
}

// BenchmarkPublish measures publishes over HTTP (one new version each, into
// a crate that grows as the benchmark runs).
func BenchmarkPublish(b *testing.B) {
	for _, engine := range testdb.Engines {
		b.Run(engine, func(b *testing.B) {
			s := testserver.Start(b, engine, nil)
			bodies := make([][]byte, b.N)
			for i := range b.N {
				vers := fmt.Sprintf("2.0.%d", i)
				bodies[i] = cratetest.PublishBody(cratetest.Metadata("bench-pub", vers), cratetest.Build("bench-pub", vers, nil))
			}
			c := benchClient()
			b.ResetTimer()
			for i := range b.N {
				req, _ := http.NewRequest(http.MethodPut, s.URL+"/api/v1/crates/new", bytes.NewReader(bodies[i]))
				req.Header.Set("Authorization", s.AdminToken)
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("publish: status %d", resp.StatusCode)
				}
			}
		})
	}
}
