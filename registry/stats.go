package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/store"
)

// DailyDownloads is the download count of one version on one UTC day.
type DailyDownloads struct {
	Version   string
	Day       string // YYYY-MM-DD
	Downloads int64
}

// CrateDownloads returns the per-version daily download counts of the last
// days days (today included, UTC) and the crate's all-time total. Counts
// buffered in memory and not yet flushed are not included.
func (s *Service) CrateDownloads(ctx context.Context, name string, days int) ([]DailyDownloads, int64, error) {
	c, err := s.store.CrateGetByKey(ctx, crate.NameKey(name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, errorf(ErrNotFound, "crate %s does not exist", name)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get crate %s: %w", name, err)
	}
	series, err := s.CrateDownloadSeries(ctx, c.ID, days)
	return series, c.Downloads, err
}

// CrateDownloadSeries is CrateDownloads for a crate already loaded.
func (s *Service) CrateDownloadSeries(ctx context.Context, crateID int64, days int) ([]DailyDownloads, error) {
	since := s.now().UTC().AddDate(0, 0, -(days - 1)).Format(time.DateOnly)
	rows, err := s.store.StatsCrateDaily(ctx, store.StatsCrateDailyParams{CrateID: crateID, Since: since})
	if err != nil {
		return nil, fmt.Errorf("get daily downloads of crate %d: %w", crateID, err)
	}
	out := make([]DailyDownloads, len(rows))
	for i, r := range rows {
		out[i] = DailyDownloads{Version: r.Version, Day: r.Day, Downloads: r.Count}
	}
	return out, nil
}

// Totals are registry-wide counts.
type Totals struct {
	Crates    int64 // crates with at least one version
	Versions  int64
	Downloads int64
}

// Totals returns registry-wide counts for the home page.
func (s *Service) Totals(ctx context.Context) (Totals, error) {
	row, err := s.store.StatsTotals(ctx)
	if err != nil {
		return Totals{}, fmt.Errorf("get totals: %w", err)
	}
	return Totals{Crates: row.Crates, Versions: row.Versions, Downloads: row.Downloads}, nil
}

// TopDownloaded returns the n most downloaded crates (all time).
func (s *Service) TopDownloaded(ctx context.Context, n int) ([]SearchCrate, error) {
	rows, err := s.store.StatsTopDownloaded(ctx, int64(n))
	if err != nil {
		return nil, fmt.Errorf("list most downloaded crates: %w", err)
	}
	out := make([]SearchCrate, len(rows))
	for i, r := range rows {
		out[i] = SearchCrate{Name: r.Name, Description: r.Description, Downloads: r.Downloads}
		if r.MaxVersion != nil {
			out[i].MaxVersion = *r.MaxVersion
		}
	}
	return out, nil
}

// RecentVersion is one recently published version.
type RecentVersion struct {
	Name        string
	Version     string
	Yanked      bool
	PublishedAt time.Time
	Description *string
}

// RecentVersions returns the n most recently published versions.
func (s *Service) RecentVersions(ctx context.Context, n int) ([]RecentVersion, error) {
	rows, err := s.store.StatsRecentVersions(ctx, int64(n))
	if err != nil {
		return nil, fmt.Errorf("list recent versions: %w", err)
	}
	out := make([]RecentVersion, len(rows))
	for i, r := range rows {
		out[i] = RecentVersion{Name: r.Name, Version: r.Version, Yanked: r.Yanked, PublishedAt: r.PublishedAt, Description: r.Description}
	}
	return out, nil
}

// PruneDownloads deletes daily download rows older than keepDays days (the
// downloads_prune job). Version and crate totals are kept.
func (s *Service) PruneDownloads(ctx context.Context, keepDays int) (int64, error) {
	if keepDays < 1 {
		return 0, fmt.Errorf("prune downloads: keepDays must be positive, got %d", keepDays)
	}
	before := s.now().UTC().AddDate(0, 0, -keepDays).Format(time.DateOnly)
	n, err := s.store.StatsDownloadsPrune(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("prune daily downloads before %s: %w", before, err)
	}
	if n > 0 {
		s.logger.InfoContext(ctx, "pruned daily download rows", "rows", n, "before", before)
	}
	return n, nil
}
