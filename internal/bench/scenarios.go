package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/crate/cratetest"
)

// benchWharf serves the seeded registry and runs every scenario against it.
func benchWharf(ctx context.Context, o Options, parts *registryParts, res *Result) (err error) {
	var srv *wharfServer
	if len(o.ServeCommand) > 0 {
		// The child opens the same database and storage.
		parts.close()
		srv, err = startProcess(ctx, o.ServeCommand, serveEnv{
			dataDir: parts.dataDir, databaseURL: parts.databaseURL, publicRead: o.PublicRead,
		})
	} else {
		srv, err = startInProcess(ctx, parts.reg, parts.st, o.PublicRead)
	}
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err = errors.Join(err, srv.stop(stopCtx))
	}()

	readAuth := parts.token
	if o.PublicRead {
		readAuth = "" // cargo sends no token when auth-required is false
	}
	sd := parts.seeded
	if _, err := fetchIndex(ctx, srv.url(), readAuth, sd); err != nil {
		return fmt.Errorf("wharf: %w", err)
	}
	base := loadSpec{
		addr: srv.addr, authorization: readAuth, concurrency: o.Concurrency, duration: o.Duration, cpu: srv.cpu,
	}
	run := func(name string, pick func(*rand.Rand) request) error {
		o.Logger.InfoContext(ctx, "load", slog.String("target", "wharf"), slog.Int("versions", res.Versions),
			slog.String("scenario", name))
		spec := base
		spec.pick = pick
		st, err := runLoad(ctx, spec)
		if err != nil {
			return err
		}
		res.Scenarios = append(res.Scenarios, Scenario{Name: name, Wharf: st})
		return nil
	}
	if err := run(ScenarioIndex200, pickIndex(sd, nil, false)); err != nil {
		return err
	}
	if err := run(ScenarioIndex304, pickIndex(sd, nil, true)); err != nil {
		return err
	}
	if err := run(ScenarioDownload, func(rng *rand.Rand) request {
		d := sd.downloads[rng.IntN(len(sd.downloads))]
		return request{path: d.path, status: http.StatusOK, bodyLen: d.size}
	}); err != nil {
		return err
	}

	o.Logger.InfoContext(ctx, "load", slog.String("target", "wharf"), slog.Int("versions", res.Versions),
		slog.String("scenario", ScenarioPublish))
	crates := parts.plan.crates
	pub, err := runPublish(ctx, publishSpec{
		baseURL: srv.url(), authorization: parts.token, duration: o.Duration, cpu: srv.cpu,
		body: func(rng *rand.Rand, n int) []byte {
			c := &crates[rng.IntN(len(crates))]
			vers := fmt.Sprintf("99.0.%d", n)
			return cratetest.PublishBody(c.metadata(vers), cratetest.Build(c.name, vers, nil))
		},
	})
	if err != nil {
		return err
	}
	res.Scenarios = append(res.Scenarios, Scenario{Name: ScenarioPublish, Wharf: pub})
	res.WharfRSS = srv.peakRSS()
	return nil
}

// benchNginx serves the exported index files with nginx and runs the index
// scenarios against it.
func benchNginx(ctx context.Context, o Options, bin, prefix, root string, sd *seeded, res *Result) error {
	n, err := startNginx(ctx, bin, root, prefix)
	if err != nil {
		return err
	}
	defer n.stop()
	etags, err := fetchIndex(ctx, "http://"+n.addr, "", sd)
	if err != nil {
		return fmt.Errorf("nginx: %w", err)
	}
	procs := n.procs()
	base := loadSpec{addr: n.addr, concurrency: o.Concurrency, duration: o.Duration, cpu: procs.cpu}
	for i, name := range []string{ScenarioIndex200, ScenarioIndex304} {
		o.Logger.InfoContext(ctx, "load", slog.String("target", "nginx"), slog.Int("versions", res.Versions),
			slog.String("scenario", name))
		spec := base
		spec.pick = pickIndex(sd, etags, i == 1)
		st, err := runLoad(ctx, spec)
		if err != nil {
			return err
		}
		for j := range res.Scenarios {
			if res.Scenarios[j].Name == name {
				res.Scenarios[j].Nginx = &st
			}
		}
	}
	res.NginxRSS = procs.peakRSS()
	return nil
}

// pickIndex requests a uniformly random crate's index file: unconditionally
// (200) or with the ETag the server gave for it (304). etags nil means
// Wharf's ETags from seeding.
func pickIndex(sd *seeded, etags []string, conditional bool) func(*rand.Rand) request {
	return func(rng *rand.Rand) request {
		i := rng.IntN(len(sd.crates))
		c := &sd.crates[i]
		if !conditional {
			return request{path: c.path, status: http.StatusOK, bodyLen: c.size}
		}
		etag := c.etag
		if etags != nil {
			etag = etags[i]
		}
		return request{path: c.path, ifNoneMatch: etag, status: http.StatusNotModified, bodyLen: 0}
	}
}

// fetchIndex GETs every index file once from baseURL (which also warms the
// server), checks it is byte for byte the seeded file (its SHA-256 is in
// Wharf's ETag) and returns the ETags the server sent.
func fetchIndex(ctx context.Context, baseURL, authorization string, sd *seeded) ([]string, error) {
	const workers = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	etags := make([]string, len(sd.crates))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(sd.crates) && errs[w] == nil; i += workers {
				etags[i], errs[w] = fetchOne(ctx, client, baseURL, authorization, &sd.crates[i])
			}
		})
	}
	wg.Wait()
	return etags, errors.Join(errs...)
}

func fetchOne(ctx context.Context, client *http.Client, baseURL, authorization string, c *seededCrate) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+c.path, nil)
	if err != nil {
		return "", err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d", c.path, resp.StatusCode)
	}
	if got := hex.EncodeToString(h.Sum(nil)); `"`+got+`"` != c.etag {
		return "", fmt.Errorf("GET %s: content differs from the seeded index file", c.path)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		return "", fmt.Errorf("GET %s: no strong ETag (%q)", c.path, etag)
	}
	return etag, nil
}
