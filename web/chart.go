package web

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/wharfhq/wharf/registry"
)

// The download chart: stacked bars of downloads per day over the window,
// one colour per version for the most downloaded versions and one for the
// rest, drawn as inline SVG on the server (no script, colours from classes
// in style.css, tooltips from <title>).

const (
	chartW, chartH                            = 800, 220
	chartLeft, chartRight, chartTop, chartBot = 44, 6, 10, 24
	chartSeries                               = 5 // colours: 4 versions + "other"
)

type legendItem struct {
	Class string
	Label string
	Total int64
}

type downloadChart struct {
	SVG    template.HTML
	Legend []legendItem
	Total  int64 // downloads in the window
	Days   int
}

// buildChart draws days days ending today (UTC) from series.
func buildChart(series []registry.DailyDownloads, days int, today time.Time) downloadChart {
	start := today.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	dayIndex := make(map[string]int, days)
	labels := make([]string, days)
	for i := range days {
		d := start.AddDate(0, 0, i).Format(time.DateOnly)
		dayIndex[d], labels[i] = i, d
	}
	perVersion := map[string]int64{}
	var total int64
	for _, s := range series {
		if _, ok := dayIndex[s.Day]; ok {
			perVersion[s.Version] += s.Downloads
			total += s.Downloads
		}
	}
	c := downloadChart{Total: total, Days: days}
	if total == 0 {
		return c
	}
	// Series: the most downloaded versions, then "other".
	versions := make([]string, 0, len(perVersion))
	for v := range perVersion {
		versions = append(versions, v)
	}
	slices.SortFunc(versions, func(a, b string) int {
		if perVersion[a] != perVersion[b] {
			if perVersion[a] > perVersion[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	seriesOf := map[string]int{}
	for i, v := range versions {
		if i < chartSeries-1 || len(versions) == chartSeries {
			seriesOf[v] = i
			c.Legend = append(c.Legend, legendItem{Class: seriesClass(i), Label: v, Total: perVersion[v]})
			continue
		}
		seriesOf[v] = chartSeries - 1
	}
	if len(versions) > chartSeries {
		var other int64
		for _, v := range versions[chartSeries-1:] {
			other += perVersion[v]
		}
		c.Legend = append(c.Legend, legendItem{Class: seriesClass(chartSeries - 1), Label: "other versions", Total: other})
	}
	grid := make([][chartSeries]int64, days)
	for _, s := range series {
		if i, ok := dayIndex[s.Day]; ok {
			grid[i][seriesOf[s.Version]] += s.Downloads
		}
	}
	var peak int64
	for _, day := range grid {
		var sum int64
		for _, n := range day {
			sum += n
		}
		peak = max(peak, sum)
	}
	c.SVG = drawChart(grid, labels, c.Legend, niceCeil(peak))
	return c
}

func drawChart(grid [][chartSeries]int64, labels []string, legend []legendItem, yMax int64) template.HTML {
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBot)
	slot := plotW / float64(len(grid))
	gap := min(1.0, slot/4)
	y := func(n int64) float64 { return chartTop + plotH - plotH*float64(n)/float64(yMax) }
	name := func(s int) string {
		for _, l := range legend {
			if l.Class == seriesClass(s) {
				return l.Label
			}
		}
		return ""
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Downloads per day, last %d days" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, len(grid))
	// Horizontal grid lines and y labels: 0, half, max.
	for _, n := range []int64{0, yMax / 2, yMax} {
		yy := y(n)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, chartLeft, yy, chartW-chartRight, yy)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, yy+4, formatNum(n))
	}
	for i, day := range grid {
		x := chartLeft + float64(i)*slot
		var acc int64
		for s, n := range day {
			if n == 0 {
				continue
			}
			top, bottom := y(acc+n), y(acc)
			acc += n
			fmt.Fprintf(&b, `<rect class="series-%d" x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s · %s: %s</title></rect>`,
				s, x+gap/2, top, slot-gap, bottom-top, labels[i], template.HTMLEscapeString(name(s)), formatNum(n))
		}
		// X labels: every 15 days from the right edge (today), plus the first day.
		if (len(grid)-1-i)%15 == 0 || i == 0 {
			t, _ := time.Parse(time.DateOnly, labels[i])
			anchor := "middle"
			switch {
			case i == 0:
				anchor = "start"
			case i == len(grid)-1:
				anchor = "end"
			}
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="%s">%s</text>`,
				x+slot/2, chartH-6, anchor, t.Format("Jan 2"))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from numbers, dates and escaped version strings
}

// seriesClass is the CSS class of series i (long names: chroma's token
// classes in READMEs are short).
func seriesClass(i int) string { return fmt.Sprintf("series-%d", i) }

// niceCeil rounds n up to a round even number (the half line is a whole
// number): 2, 4, … 10, then 1, 2, 4, 5 or 8 times a power of ten.
func niceCeil(n int64) int64 {
	if n <= 10 {
		return max(2, n+n%2)
	}
	for p := int64(10); ; p *= 10 {
		for _, m := range []int64{1, 2, 4, 5, 8} {
			if m*p >= n {
				return m * p
			}
		}
	}
}
