package bench_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wharfhq/wharf/cmd/wharf/cli"
	"github.com/wharfhq/wharf/internal/bench"
)

// TestMain lets the test binary stand in for the wharf binary: run with
// "serve" as its first argument it is `wharf serve`, which the process-mode
// harness starts as its server.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	goleak.VerifyTestMain(m)
}

// TestRun runs the whole harness at a tiny scale so it keeps working.
func TestRun(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		opts bench.Options
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{opts: bench.Options{
			Versions: []int{200}, Duration: 300 * time.Millisecond, Concurrency: 4, Nginx: "off", TempDir: t.TempDir(),
		}}
	}

	t.Run("InProcess", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		rep := requireRun(t, bundle.opts, false)
		require.Positive(t, rep.Results[0].WharfRSS)
	})

	t.Run("Nginx", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		if _, err := exec.LookPath("nginx"); err != nil {
			if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
				t.Skip("nginx is not installed (apt-get install nginx)")
			}
		}
		bundle.opts.Nginx = "auto"
		rep := requireRun(t, bundle.opts, true)
		require.Positive(t, rep.Results[0].NginxRSS)
	})

	t.Run("Process", func(t *testing.T) {
		t.Parallel()
		bundle := setup(t)
		bundle.opts.ServeCommand = []string{os.Args[0], "serve"}
		rep := requireRun(t, bundle.opts, false)
		res := rep.Results[0]
		require.Positive(t, res.WharfRSS)
		for _, sc := range res.Scenarios {
			require.Positive(t, sc.Wharf.CPUPerRequest, sc.Name)
		}
	})
}

// requireRun runs the harness and checks the report has every scenario with
// nonzero numbers and a table row for each.
func requireRun(t *testing.T, opts bench.Options, withNginx bool) *bench.Report {
	t.Helper()
	rep, err := bench.Run(context.Background(), opts)
	require.NoError(t, err)
	require.Empty(t, rep.Failures())
	require.Len(t, rep.Results, 1)
	res := rep.Results[0]
	require.Equal(t, 200, res.Versions)
	require.Equal(t, 10, res.Crates)
	require.Positive(t, res.SeedTime)
	require.Contains(t, res.Distribution, "10 crates")

	names := make([]string, 0, len(res.Scenarios))
	for _, sc := range res.Scenarios {
		names = append(names, sc.Name)
		require.Positive(t, sc.Wharf.Requests, sc.Name)
		require.Positive(t, sc.Wharf.Rate(), sc.Name)
		require.Positive(t, sc.Wharf.P50, sc.Name)
		require.GreaterOrEqual(t, sc.Wharf.P99, sc.Wharf.P50, sc.Name)
		isIndex := sc.Name == bench.ScenarioIndex200 || sc.Name == bench.ScenarioIndex304
		if withNginx && isIndex {
			require.NotNil(t, sc.Nginx, sc.Name)
			require.Positive(t, sc.Nginx.Requests, sc.Name)
			require.Positive(t, sc.Nginx.Rate(), sc.Name)
		} else {
			require.Nil(t, sc.Nginx, sc.Name)
		}
	}
	require.Equal(t, []string{bench.ScenarioIndex200, bench.ScenarioIndex304, bench.ScenarioDownload, bench.ScenarioPublish}, names)

	var buf bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&buf))
	table := buf.String()
	for _, name := range append(names, "peak RSS (VmHWM)") {
		require.Contains(t, table, "| 200 | "+name+" | ", table)
	}
	require.Equal(t, len(names)+1+1, strings.Count(table, "\n| "), table)
	return rep
}
