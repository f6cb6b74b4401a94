package web

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/registry"
)

func TestBuildChart(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		c := buildChart([]registry.DailyDownloads{{Version: "1.0.0", Day: "2026-08-01", Downloads: 5}}, 90, today)
		require.Zero(t, c.Total, "days outside the window do not count")
		require.Empty(t, c.SVG)
	})

	t.Run("SeriesAndOther", func(t *testing.T) {
		t.Parallel()
		var series []registry.DailyDownloads
		// Six versions: 1.0.5 most downloaded … 1.0.0 least.
		for i, v := range []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5"} {
			series = append(series,
				registry.DailyDownloads{Version: v, Day: "2026-11-27", Downloads: int64(i + 1)},
				registry.DailyDownloads{Version: v, Day: "2026-08-30", Downloads: 10}, // first day of the window
			)
		}
		c := buildChart(series, 90, today)
		require.Equal(t, int64(21+60), c.Total)
		require.Len(t, c.Legend, 5)
		require.Equal(t, legendItem{Class: "series-0", Label: "1.0.5", Total: 16}, c.Legend[0])
		require.Equal(t, legendItem{Class: "series-4", Label: "other versions", Total: 11 + 12}, c.Legend[4])
		svg := string(c.SVG)
		require.True(t, strings.HasPrefix(svg, `<svg class="chart" viewBox="0 0 800 220" role="img"`))
		require.Contains(t, svg, "<title>2026-11-27 · 1.0.5: 6</title>")
		require.Contains(t, svg, "<title>2026-11-27 · other versions: 3</title>")
		require.Contains(t, svg, "<title>2026-08-30 · 1.0.2: 10</title>")
		require.Contains(t, svg, `text-anchor="end">Nov 27</text>`)
		require.Contains(t, svg, `text-anchor="start">Aug 30</text>`)
		// The y axis tops at a round number above the busiest day (60).
		require.Contains(t, svg, `text-anchor="end">80</text>`)
		require.NotContains(t, svg, "style=", "colours come from classes (CSP style-src 'self')")
	})

	t.Run("EscapesLabels", func(t *testing.T) {
		t.Parallel()
		c := buildChart([]registry.DailyDownloads{{Version: "1.0.0+<b>", Day: "2026-11-27", Downloads: 1}}, 90, today)
		require.Contains(t, string(c.SVG), "1.0.0+&lt;b&gt;")
	})
}

func TestNiceCeil(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want int64 }{
		{0, 2}, {1, 2}, {3, 4}, {10, 10}, {11, 20}, {21, 40}, {41, 50}, {51, 80}, {81, 100}, {101, 200}, {4001, 5000},
	} {
		require.Equal(t, tc.want, niceCeil(tc.in), "niceCeil(%d)", tc.in)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	require.Equal(t, "0", formatNum(0))
	require.Equal(t, "999", formatNum(999))
	require.Equal(t, "1,000", formatNum(1000))
	require.Equal(t, "1,234,567", formatNum(1234567))
	require.Equal(t, "-12,345", formatNum(-12345))
	require.Equal(t, "512 B", formatSize(512))
	require.Equal(t, "1.5 KiB", formatSize(1536))
	require.Equal(t, "2.0 MiB", formatSize(2<<20))
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	require.Equal(t, "just now", ago(now, now.Add(-10*time.Second)))
	require.Equal(t, "1 minute ago", ago(now, now.Add(-time.Minute)))
	require.Equal(t, "5 hours ago", ago(now, now.Add(-5*time.Hour)))
	require.Equal(t, "3 days ago", ago(now, now.AddDate(0, 0, -3)))
	require.Equal(t, "4 months ago", ago(now, now.AddDate(0, 0, -125)))
	require.Equal(t, "3 years ago", ago(now, now.AddDate(-3, 0, 0)))
}
