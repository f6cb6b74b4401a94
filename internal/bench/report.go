package bench

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sizeStats summarises index file sizes in bytes.
type sizeStats struct {
	Mean, P50, P99, Max int
}

func newSizeStats(sizes []int) sizeStats {
	if len(sizes) == 0 {
		return sizeStats{}
	}
	s := slices.Clone(sizes)
	slices.Sort(s)
	total := 0
	for _, n := range s {
		total += n
	}
	at := func(q float64) int { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return sizeStats{Mean: total / len(s), P50: at(0.5), P99: at(0.99), Max: s[len(s)-1]}
}

// WriteMarkdown writes the setup, one line per registry size, and the table.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	o := r.Options
	server := "`wharf serve` in a child process"
	if len(o.ServeCommand) == 0 {
		server = "in-process (RSS includes the load generator; CPU/req unknown)"
	}
	reads := "authenticated (token on every request, the default)"
	if o.PublicRead {
		reads = "public (REGISTRY_PUBLIC_READ=true, no token)"
	}
	fmt.Fprintf(&b, "Wharf benchmark: %s + fs storage, server %s, %d CPUs shared by server and load generator",
		o.Engine, server, r.CPUs)
	if r.LoadAverage[0] != "" {
		fmt.Fprintf(&b, " (load average %s at start, %s at end)", r.LoadAverage[0], r.LoadAverage[1])
	}
	b.WriteString(".\n")
	fmt.Fprintf(&b, "Reads: %s, %d keep-alive connections, %s per scenario; index GETs pick a crate uniformly, "+
		"downloads a version uniformly; publish adds a version to a random crate, one client, sequentially "+
		"(req/s = 1 / mean latency).\n", reads, o.Concurrency, o.Duration)
	cpuNote := "CPU/req = the server's CPU time (user+system, /proc) ÷ requests"
	if o.Engine == "postgres" {
		cpuNote += " (the wharf process only, not PostgreSQL)"
	}
	b.WriteString(cpuNote + "; for publish it includes the background jobs publishing enqueues.\n")
	if r.Nginx != "" {
		b.WriteString("nginx: the same index files exported byte for byte, 2 workers, keep-alive, access_log off, " +
			"etag on, open_file_cache; 304 uses the ETag nginx returns. Ratio = Wharf req/s ÷ nginx req/s.\n")
	} else {
		b.WriteString("nginx: not compared (off or not installed).\n")
	}
	b.WriteString("\n")
	for _, res := range r.Results {
		fmt.Fprintf(&b, "- %s versions: %s; index files mean %s, p50 %s, p99 %s, max %s; seeded in %s\n",
			count(res.Versions), res.Distribution, bytesText(res.IndexSize.Mean), bytesText(res.IndexSize.P50),
			bytesText(res.IndexSize.P99), bytesText(res.IndexSize.Max), res.SeedTime.Round(10*time.Millisecond))
	}
	b.WriteString("\n")
	b.WriteString("| versions | scenario | Wharf req/s | p50 | p99 | CPU/req | nginx req/s | nginx p50 | nginx p99 | nginx CPU/req | Wharf/nginx |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, res := range r.Results {
		for _, sc := range res.Scenarios {
			cells := []string{shortCount(res.Versions), sc.Name}
			cells = append(cells, statCells(sc.Wharf)...)
			if sc.Nginx != nil {
				cells = append(cells, statCells(*sc.Nginx)...)
				cells = append(cells, ratio(sc.Wharf.Rate(), sc.Nginx.Rate()))
			} else {
				cells = append(cells, "–", "–", "–", "–", "–")
			}
			writeRow(&b, cells)
		}
		nginxRSS := "–"
		if res.NginxRSS > 0 {
			nginxRSS = mib(res.NginxRSS)
		}
		writeRow(&b, []string{shortCount(res.Versions), "peak RSS (VmHWM)", mib(res.WharfRSS), "", "", "", nginxRSS, "", "", "", ""})
	}
	if f := r.Failures(); len(f) > 0 {
		b.WriteString("\nFailed requests:\n")
		for _, line := range f {
			b.WriteString("- " + line + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRow(b *strings.Builder, cells []string) {
	b.WriteString("| ")
	b.WriteString(strings.Join(cells, " | "))
	b.WriteString(" |\n")
}

func statCells(s Stats) []string {
	rate := count(int(s.Rate() + 0.5))
	if s.Errors > 0 {
		rate += fmt.Sprintf(" (%d errors)", s.Errors)
	}
	cpu := "n/a"
	if s.CPUPerRequest > 0 {
		cpu = micros(s.CPUPerRequest)
	}
	return []string{rate, millis(s.P50), millis(s.P99), cpu}
}

func ratio(a, b float64) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

func micros(d time.Duration) string {
	us := float64(d) / float64(time.Microsecond)
	if us < 100 {
		return fmt.Sprintf("%.1f µs", us)
	}
	return fmt.Sprintf("%.0f µs", us)
}

func mib(n int64) string {
	if n <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func bytesText(n int) string {
	if n < 10<<10 {
		return strconv.Itoa(n) + " B"
	}
	return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
}

// count formats n with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// shortCount is 1k, 100k, 1.5M or the plain number.
func shortCount(n int) string {
	switch {
	case n >= 1_000_000 && n%100_000 == 0:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "M"
	case n >= 1000 && n%100 == 0:
		return strconv.FormatFloat(float64(n)/1e3, 'f', -1, 64) + "k"
	}
	return strconv.Itoa(n)
}
